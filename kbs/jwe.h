// JWE (RFC 7516) in the flattened JSON serialization, the form trustee's KBS returns a
// resource in: {"protected","encrypted_key","iv","ciphertext","tag"}, content always A256GCM
// with AAD = ASCII(BASE64URL(protected header)). Key management (RFC 7518):
//   ECDH-ES+A256KW  an ephemeral key on the recipient's curve ("epk" in the protected header),
//                   Concat KDF (SHA-256, AlgorithmID "ECDH-ES+A256KW", empty PartyU/VInfo,
//                   SuppPubInfo 256) -> KEK, CEK wrapped with AES-256 Key Wrap (RFC 3394)
//   RSA-OAEP-256    CEK encrypted with RSAES-OAEP, SHA-256 and MGF1-SHA-256
// Everything is OpenSSL 3 EVP; a fresh CEK and IV come from RAND_bytes for every message.
#ifndef PV_KBS_JWE_H_
#define PV_KBS_JWE_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"
#include "kbs/jwk.h"

namespace pv::kbs {

absl::StatusOr<nlohmann::json> EncryptJwe(const TeePublicKey& recipient,
                                          attest::ByteSpan plaintext);

// Concat KDF of RFC 7518 section 4.6.2 for a 256-bit key (one SHA-256 round), shared with
// tests that decrypt independently.
attest::Bytes ConcatKdfA256(attest::ByteSpan shared_secret, const std::string& algorithm_id);

}  // namespace pv::kbs

#endif  // PV_KBS_JWE_H_
