// The key broker's protocol logic, independent of HTTP: /auth, /attest and /resource as
// functions of request bytes and the session cookie, plus the admin operations. The HTTP
// front end (http_api.h) and the admin socket (admin_server.h) are thin layers over this.
//
// Decisions: a resource is released only to a session (1) created by /auth, (2) whose single
// /attest presented, before the challenge expired, evidence that verified, whose REPORT_DATA is
// the binding of runtime data carrying this session's nonce and the tee-pubkey, and which the
// attestation policy accepted, (3) not expired, and (4) only if a policy grant allows that
// resource for the session's TEE and launch measurement. Each decision is logged with its
// reason.
#ifndef PV_KBS_KBS_SERVICE_H_
#define PV_KBS_KBS_SERVICE_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "kbs/appraiser.h"
#include "kbs/decision_log.h"
#include "kbs/kbs_policy.h"
#include "kbs/session_table.h"
#include "kbs/store.h"
#include "kbs/token_signer.h"

namespace pv::kbs {

struct ServiceConfig {
  SessionLimits limits;
  AppraiserConfig appraiser;
  attest::UnixTime token_ttl = 600;
};

struct AuthResult {
  std::string session_id;
  nlohmann::json challenge;
};

class KbsService {
 public:
  static absl::StatusOr<std::unique_ptr<KbsService>> Create(Store store,
                                                            const ServiceConfig& config,
                                                            DecisionLog* log);

  absl::StatusOr<AuthResult> Auth(std::string_view body);
  absl::StatusOr<nlohmann::json> Attest(const std::string& session_id, std::string_view body);
  absl::StatusOr<nlohmann::json> Resource(const std::string& session_id, const std::string& repo,
                                          const std::string& type, const std::string& tag);
  // The same with trustee's other credential: `bearer_token`, an attestation token this KBS
  // issued (Authorization: Bearer), checked for its signature, expiry, issuer, verdict and,
  // when a cookie comes too, its session; the resource is wrapped to the token's tee-pubkey.
  absl::StatusOr<nlohmann::json> Resource(const std::string& session_id,
                                          const std::string& bearer_token, const std::string& repo,
                                          const std::string& type, const std::string& tag);

  // Admin side (never reachable from the attester listener).
  absl::Status SetPolicy(const std::string& text);
  Store& store() { return store_; }
  DecisionLog& log() { return *log_; }
  const SessionTable& sessions() const { return sessions_; }
  const TokenSigner& token_signer() const { return signer_; }

 private:
  KbsService(Store store, const ServiceConfig& config, DecisionLog* log, TokenSigner signer,
             std::unique_ptr<Appraiser> appraiser, std::shared_ptr<const KbsPolicy> policy);
  std::shared_ptr<const KbsPolicy> policy() const;
  absl::StatusOr<AttestedSession> SessionFromToken(const std::string& token,
                                                   const std::string& session_id,
                                                   attest::UnixTime now);

  Store store_;
  ServiceConfig config_;
  DecisionLog* log_;
  TokenSigner signer_;
  std::unique_ptr<Appraiser> appraiser_;
  SessionTable sessions_;
  mutable std::mutex policy_mu_;
  std::shared_ptr<const KbsPolicy> policy_;
};

}  // namespace pv::kbs

#endif  // PV_KBS_KBS_SERVICE_H_
