// The attester's `tee-pubkey` (a JWK, RFC 7517/7518) as the KBS protocol carries it in the
// runtime data: the key a released resource is wrapped to. Parsed strictly from hostile JSON:
//   EC:  {"kty":"EC","crv":"P-256"|"P-384"|"P-521","x":<b64url>,"y":<b64url>,
//         "alg":"ECDH-ES+A256KW"}   coordinates exactly the field size, point on the curve
//   RSA: {"kty":"RSA","n":<b64url>,"e":<b64url>,"alg":"RSA-OAEP-256"}   2048..8192-bit modulus
// "alg" may be omitted (the default for the key type is used); other algorithms, including the
// deprecated RSA1_5 trustee still accepts, are refused. Private members ("d", "p", ...) are
// refused: a JWK that carries a private key is a client bug this service should not echo.
#ifndef PV_KBS_JWK_H_
#define PV_KBS_JWK_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "attest/common/openssl_ptr.h"

namespace pv::kbs {

enum class KeyWrap { kEcdhEsA256Kw, kRsaOaep256 };

struct TeePublicKey {
  KeyWrap wrap = KeyWrap::kEcdhEsA256Kw;
  std::string curve;  // "P-256", "P-384", "P-521" for EC; empty for RSA
  attest::EvpPkeyPtr key;
  nlohmann::json jwk;  // the public members as received (for the attestation token)
};

absl::StatusOr<TeePublicKey> ParseTeePublicKey(const nlohmann::json& jwk);

// The public JWK of an EC key ("kty","crv","x","y"), used for the JWE's ephemeral key.
absl::StatusOr<nlohmann::json> EcPublicJwk(EVP_PKEY* key, const std::string& curve);

// OpenSSL group name and coordinate size of a JOSE curve name; false if unsupported.
bool JoseCurve(const std::string& crv, const char** group, size_t* coordinate_bytes);

}  // namespace pv::kbs

#endif  // PV_KBS_JWK_H_
