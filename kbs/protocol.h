// The trustee KBS attestation protocol messages (RCAR), parsed from hostile request bodies with
// explicit size limits and every error naming the member and the problem.
//   POST /kbs/v0/auth    Request   {"version":"0.x.y","tee":"snp"|"tdx","extra-params":...}
//                        Challenge {"nonce":"<base64 of 32 random bytes>","extra-params":{}}
//   POST /kbs/v0/attest  Attestation {"init-data"?:{...},
//                                     "runtime-data":{"nonce":"...","tee-pubkey":<JWK>,...},
//                                     "tee-evidence":{"primary_evidence":<object or JSON
//                                                     string>,"additional_evidence":"..."}}
#ifndef PV_KBS_PROTOCOL_H_
#define PV_KBS_PROTOCOL_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace pv::kbs {

inline constexpr size_t kMaxAuthBodyBytes = 16 * 1024;
inline constexpr size_t kMaxAttestBodyBytes = 1024 * 1024;

// kSample: trustee's test TEE ("sample"): its evidence is a claim, not a proof; a KBS admits it
// only when configured to (AppraiserConfig::allow_sample_tee) and says so in every verdict.
enum class TeeKind { kSnp, kTdx, kSample };
std::string TeeName(TeeKind tee);

struct AuthRequest {
  std::string version;
  TeeKind tee = TeeKind::kSnp;
};

struct AttestRequest {
  nlohmann::json runtime_data;  // the whole object: it is what REPORT_DATA binds
  std::string nonce;
  nlohmann::json tee_pubkey;
  nlohmann::json primary_evidence;  // an object
};

// Parses JSON text of at most `max_bytes` into a value, refusing anything deeper than the KBS
// ever needs (so later recursion over the value is bounded).
absl::StatusOr<nlohmann::json> ParseBoundedJson(std::string_view text, size_t max_bytes,
                                                const std::string& what);

absl::StatusOr<AuthRequest> ParseAuthRequest(std::string_view body);
absl::StatusOr<AttestRequest> ParseAttestRequest(std::string_view body);

}  // namespace pv::kbs

#endif  // PV_KBS_PROTOCOL_H_
