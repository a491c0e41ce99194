// Who may call what on the agent's socket.
//
// The socket is 0660, owned by the agent's user and --socket-group (if given), so only those
// can connect. The agent accepts connections itself, reads each peer's credentials
// (SO_PEERCRED) and hands the connection to gRPC; every RPC is then checked against the
// caller's role and logged:
//   admin   root, the agent's own user, members of --admin-group: every RPC
//   reader  members of --socket-group: List/Get/StreamConsole/WatchEvents/GetStats/
//           Capabilities (and grpc.health.v1)
// Mutating calls (allowed or refused) are appended to <state>/audit.jsonl with the caller's
// uid, gid and pid.
#ifndef PV_HOST_AGENT_ACCESS_CONTROL_H_
#define PV_HOST_AGENT_ACCESS_CONTROL_H_

#include <sys/types.h>

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"

namespace pv::agent {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

enum class Role { kNone, kReader, kAdmin };
const char* RoleName(Role role);

class AccessControl {
 public:
  // Groups by name ("" = none); unknown names are an error.
  static absl::StatusOr<gid_t> ResolveGroup(const std::string& name);

  AccessControl(std::string audit_path, bool have_socket_group, gid_t socket_group,
                bool have_admin_group, gid_t admin_group);

  Role RoleOf(const PeerCredentials& peer) const;

  // Connections (by the fd gRPC names them with, "fd:N") and their peers.
  void AddConnection(int fd, const PeerCredentials& peer);

  // The caller's role allows `method`? Logs the call; audits it if it mutates state.
  grpc::Status Authorize(const grpc::ServerContext* ctx, const char* method, bool mutating,
                         const std::string& partition);

 private:
  bool FindPeer(const std::string& grpc_peer, PeerCredentials* out);
  void Audit(const PeerCredentials& peer, const char* method, const std::string& partition,
             bool allowed);

  std::string audit_path_;
  bool have_socket_group_;
  gid_t socket_group_;
  bool have_admin_group_;
  gid_t admin_group_;
  absl::Mutex mu_;
  std::map<int, PeerCredentials> connections_ ABSL_GUARDED_BY(mu_);
  absl::Mutex audit_mu_;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_ACCESS_CONTROL_H_
