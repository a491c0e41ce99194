// The admin interface: a Unix stream socket (mode 0600), never a TCP port, so nothing on the
// attester side can reach it. Each connection carries one JSON request (at most 4 MiB, ended by
// the client's shutdown of its write side) and gets one JSON response. The peer is
// authenticated by the kernel (SO_PEERCRED): only `admin_uid` (default: the daemon's own
// uid) is served; anyone else is refused and the refusal is logged.
//
// Requests ({"op": ...}):            Responses: {"ok":true,...} or {"ok":false,"error":"..."}
//   set-resource    path, value (base64)
//   get-resource    path             -> value (base64)
//   delete-resource path
//   list-resources                   -> resources: [paths]
//   set-policy      policy (object)  validated before it is stored
//   get-policy                       -> policy
//   decisions       limit            -> decisions: [log entries]
//   status                           -> sessions, token_jwk
#ifndef PV_KBS_ADMIN_SERVER_H_
#define PV_KBS_ADMIN_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "kbs/kbs_service.h"

namespace pv::kbs {

inline constexpr size_t kMaxAdminRequestBytes = 4 * 1024 * 1024;

class AdminServer {
 public:
  AdminServer(KbsService* service, uid_t admin_uid) : service_(service), admin_uid_(admin_uid) {}
  ~AdminServer();

  absl::Status Start(const std::string& socket_path);  // binds and starts the thread
  void Stop();

  // One request (exposed for tests and fuzzing; no authentication here).
  nlohmann::json Handle(const nlohmann::json& request);

 private:
  void Serve();
  void ServeOne(int fd);

  KbsService* service_;
  uid_t admin_uid_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace pv::kbs

#endif  // PV_KBS_ADMIN_SERVER_H_
