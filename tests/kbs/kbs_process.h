// Runs the real pv-kbs binary for a test or benchmark: a fresh store directory, the synthetic
// SNP/TDX roots and TDX collateral written beside it, the daemon started on a free loopback port
// and stopped (SIGTERM, by pid) at destruction; plus the pvkbs admin CLI and an HTTP client that
// speaks the KBS protocol.
#ifndef PV_TESTS_KBS_KBS_PROCESS_H_
#define PV_TESTS_KBS_KBS_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/kbs/kbs_test_support.h"

namespace pv::kbs::testing {

class KbsProcess {
 public:
  // `extra` arguments are appended to the pv-kbs command line.
  KbsProcess(const SyntheticSnp& snp, const SyntheticTdx& tdx,
             const std::vector<std::string>& extra = {});
  ~KbsProcess();

  bool running() const { return port_ > 0; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string admin_socket() const { return dir_ + "/store/admin.sock"; }
  std::string Log() const;  // the daemon's stderr so far

  // Runs pvkbs with `args`; returns its exit status, stdout in *out.
  int Admin(const std::vector<std::string>& args, std::string* out = nullptr,
            const std::string& stdin_file = "") const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// One attester's conversation with the KBS (its own connection and cookie).
class KbsClient {
 public:
  explicit KbsClient(int port) : http_("127.0.0.1", port) {
    http_.set_read_timeout(60, 0);
    http_.set_connection_timeout(10, 0);
  }

  // POST /kbs/v0/auth; on success stores the cookie and returns the nonce ("" on failure).
  std::string Auth(const std::string& tee, int* status = nullptr);
  // POST /kbs/v0/attest with this body; returns HTTP status, body in *response.
  int Attest(const Json& body, Json* response);
  int Resource(const std::string& path, Json* response);
  int Raw(const std::string& method, const std::string& path, const std::string& body,
          Json* response);
  void set_cookie(const std::string& c) { cookie_ = c; }
  const std::string& cookie() const { return cookie_; }
  // Sent as `Authorization: Bearer <token>` with every request (empty: none).
  void set_bearer(const std::string& token) { bearer_ = token; }

 private:
  httplib::Client http_;
  std::string cookie_;
  std::string bearer_;
};

Json AttestBody(const Json& runtime_data, const Json& evidence);

}  // namespace pv::kbs::testing

#endif  // PV_TESTS_KBS_KBS_PROCESS_H_
