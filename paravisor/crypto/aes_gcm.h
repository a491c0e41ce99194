// AES-256-GCM through mbedTLS (every call inside an FpuGuard). Portable: the firmware links
// Debian's libmbedcrypto.a, the host unit tests the same library, so the codec above it is
// tested with the code that runs in the paravisor.
#ifndef PV_CRYPTO_AES_GCM_H_
#define PV_CRYPTO_AES_GCM_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::crypto {

inline constexpr usize kAes256KeySize = 32;
inline constexpr usize kGcmIvSize = 12;
inline constexpr usize kGcmTagSize = 16;

// Encrypts `len` bytes (in place allowed) and writes the 16-byte tag.
Status Aes256GcmSeal(const u8 key[kAes256KeySize], const u8 iv[kGcmIvSize], const u8* aad,
                     usize aad_len, const u8* plaintext, usize len, u8* ciphertext,
                     u8 tag[kGcmTagSize]);

// Decrypts and checks the tag in constant time; on a tag mismatch `plaintext` is zeroed and
// the status is kInvalidArgument ("authentication failed").
Status Aes256GcmOpen(const u8 key[kAes256KeySize], const u8 iv[kGcmIvSize], const u8* aad,
                     usize aad_len, const u8* ciphertext, usize len, const u8 tag[kGcmTagSize],
                     u8* plaintext);

// Zeroes memory in a way the compiler cannot drop (mbedtls_platform_zeroize).
void SecureZero(void* p, usize len);

}  // namespace pv::crypto

#endif  // PV_CRYPTO_AES_GCM_H_
