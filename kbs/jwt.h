// Parsing an attestation token presented back to the KBS (`Authorization: Bearer <token>`):
// the compact JWS form of a JWT, strictly: three base64url parts without padding, a header
// that says ES256 and nothing this KBS does not issue (no "none", no other algorithm, no key
// references such as jku/jwk/kid/x5u/crit), an object payload, and a 64-byte r || s
// signature. The signature is checked by TokenSigner::Verify; this file only parses. The text
// comes from the network: bounded (kMaxTokenBytes, JSON depth 8), every refusal an error value.
#ifndef PV_KBS_JWT_H_
#define PV_KBS_JWT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"

namespace pv::kbs {

inline constexpr size_t kMaxTokenBytes = 16 * 1024;

struct CompactJwt {
  std::string signing_input;  // BASE64URL(header) "." BASE64URL(payload), as received
  nlohmann::json claims;      // the payload (an object)
  attest::Bytes signature;    // r || s, 32 bytes each
};

absl::StatusOr<CompactJwt> ParseCompactJwt(std::string_view token);

// The token from an Authorization header value ("Bearer <token>", scheme case-insensitive);
// empty when the header is absent or names another scheme.
std::string BearerToken(std::string_view authorization);

}  // namespace pv::kbs

#endif  // PV_KBS_JWT_H_
