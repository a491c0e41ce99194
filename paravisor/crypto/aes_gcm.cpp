#include "crypto/aes_gcm.h"

#include <mbedtls/gcm.h>
#include <mbedtls/platform_util.h>

#include "crypto/fpu_guard.h"

namespace pv::crypto {
namespace {

// Owns a GCM context for one operation; freeing it zeroes the key schedule.
class GcmContext {
 public:
  GcmContext() { mbedtls_gcm_init(&ctx_); }
  ~GcmContext() { mbedtls_gcm_free(&ctx_); }
  GcmContext(const GcmContext&) = delete;
  GcmContext& operator=(const GcmContext&) = delete;
  mbedtls_gcm_context* get() { return &ctx_; }

 private:
  mbedtls_gcm_context ctx_;
};

}  // namespace

Status Aes256GcmSeal(const u8 key[kAes256KeySize], const u8 iv[kGcmIvSize], const u8* aad,
                     usize aad_len, const u8* plaintext, usize len, u8* ciphertext,
                     u8 tag[kGcmTagSize]) {
  FpuGuard fpu;
  GcmContext gcm;
  if (mbedtls_gcm_setkey(gcm.get(), MBEDTLS_CIPHER_ID_AES, key, 256) != 0) {
    return Status(Err::kHardware, "aes-gcm: setkey failed");
  }
  if (mbedtls_gcm_crypt_and_tag(gcm.get(), MBEDTLS_GCM_ENCRYPT, len, iv, kGcmIvSize, aad, aad_len,
                                plaintext, ciphertext, kGcmTagSize, tag) != 0) {
    return Status(Err::kHardware, "aes-gcm: encryption failed");
  }
  return Status::Ok();
}

Status Aes256GcmOpen(const u8 key[kAes256KeySize], const u8 iv[kGcmIvSize], const u8* aad,
                     usize aad_len, const u8* ciphertext, usize len, const u8 tag[kGcmTagSize],
                     u8* plaintext) {
  FpuGuard fpu;
  GcmContext gcm;
  if (mbedtls_gcm_setkey(gcm.get(), MBEDTLS_CIPHER_ID_AES, key, 256) != 0) {
    return Status(Err::kHardware, "aes-gcm: setkey failed");
  }
  // mbedtls_gcm_auth_decrypt compares the tag in constant time and zeroes the output on failure.
  const int rc = mbedtls_gcm_auth_decrypt(gcm.get(), len, iv, kGcmIvSize, aad, aad_len, tag,
                                          kGcmTagSize, ciphertext, plaintext);
  if (rc == MBEDTLS_ERR_GCM_AUTH_FAILED) {
    return Status(Err::kInvalidArgument, "aes-gcm: authentication failed");
  }
  if (rc != 0) return Status(Err::kHardware, "aes-gcm: decryption failed");
  return Status::Ok();
}

void SecureZero(void* p, usize len) {
  mbedtls_platform_zeroize(p, len);
}

}  // namespace pv::crypto
