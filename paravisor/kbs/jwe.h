// Opening the JWE in which the KBS returns a resource (trustee KBS protocol, RFC 7516 flattened
// JSON serialization): key management ECDH-ES+A256KW on P-256 (RFC 7518 4.6: ephemeral `epk`
// in the protected header, Concat KDF with SHA-256, AlgorithmID "ECDH-ES+A256KW", PartyUInfo /
// PartyVInfo from `apu` / `apv`, 256-bit key) and AES key unwrap (RFC 3394), content A256GCM
// with AAD = ASCII(BASE64URL(protected)). Anything else (other algorithms, a JWE-level `aad`,
// `zip`, extra or missing members, sizes off by one) is refused.
//
// Input: a private copy of the KBS's answer body (the caller copied it out of shared memory
// once). Every intermediate key (Z, KEK, CEK) is wiped before returning, success or not.
#ifndef PV_KBS_CLIENT_JWE_H_
#define PV_KBS_CLIENT_JWE_H_

#include "kbs/tee_key.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::kbs_client {

inline constexpr usize kMaxSecret = 4096;

Result<usize> OpenJwe(const char* json, usize len, const TeeKey& key,
                      int (*rng)(void*, unsigned char*, size_t), void* rng_context, u8* out,
                      usize cap);

// RFC 3394 AES key unwrap with a 256-bit KEK: `wrapped_len` = n*8 + 8; writes n*8 bytes.
Status AesKeyUnwrap(const u8 kek[32], const u8* wrapped, usize wrapped_len, u8* out);

}  // namespace pv::kbs_client

#endif  // PV_KBS_CLIENT_JWE_H_
