#include "kbs/jwe.h"

#include <mbedtls/aes.h>
#include <mbedtls/sha256.h>

#include "crypto/aes_gcm.h"
#include "crypto/fpu_guard.h"
#include "kbs/base64.h"
#include "kbs/json.h"
#include "lib/string.h"

namespace pv::kbs_client {
namespace {

constexpr const char kAlg[] = "ECDH-ES+A256KW";
constexpr usize kMaxProtected = 1024;  // decoded protected header
constexpr usize kMaxPartyInfo = 64;    // apu / apv

// Wipes a buffer when it goes out of scope (every exit path of OpenJwe).
template <usize N>
struct WipedBuffer {
  u8 bytes[N] = {};
  ~WipedBuffer() { crypto::SecureZero(bytes, N); }
};

// Decodes base64url member `key` of `object` into `out`; the decoded length must lie in
// [min_len, cap].
Result<usize> MemberBytes(JsonSpan object, const char* key, u8* out, usize min_len, usize cap) {
  PV_TRY_ASSIGN(JsonSpan v, JsonMember(object, key));
  if (JsonTypeOf(v) != JsonType::kString) {
    return Status(Err::kInvalidArgument, "jwe: member is not a string");
  }
  // Base64url has no escapes: the raw text between the quotes is the value.
  PV_TRY_ASSIGN(usize n, Base64Decode(B64::kUrl, v.data + 1, v.len - 2, out, cap));
  if (n < min_len) return Status(Err::kInvalidArgument, "jwe: member too short");
  return n;
}

// Only these members, each at most once (JsonMember refuses duplicates), and at least
// `expected` of them.
Status OnlyMembers(JsonSpan object, const char* const* allowed, usize count, usize expected) {
  // Any member not in `allowed` makes the total differ from the count found.
  usize present = 0;
  for (usize i = 0; i < count; ++i) {
    const Result<JsonSpan> m = JsonMember(object, allowed[i]);
    if (m.ok()) {
      ++present;
    } else if (m.status().code() != Err::kNotFound) {
      return m.status();
    }
  }
  PV_TRY_ASSIGN(usize total, JsonMemberCount(object));
  if (total != present || present < expected) {
    return Status(Err::kInvalidArgument, "jwe: unexpected or missing members");
  }
  return Status::Ok();
}

Status ExpectString(JsonSpan object, const char* key, const char* want) {
  char buf[32];
  PV_TRY_ASSIGN(usize n, JsonMemberString(object, key, buf, sizeof(buf)));
  if (n != strlen(want) || memcmp(buf, want, n) != 0) {
    return Status(Err::kUnsupported, "jwe: unsupported algorithm");
  }
  return Status::Ok();
}

void PutBe32(u8* p, u32 v) {
  p[0] = static_cast<u8>(v >> 24);
  p[1] = static_cast<u8>(v >> 16);
  p[2] = static_cast<u8>(v >> 8);
  p[3] = static_cast<u8>(v);
}

// RFC 7518 4.6.2 Concat KDF, one SHA-256 round (keydatalen 256).
Status ConcatKdf(const u8 z[kP256CoordinateSize], const u8* apu, usize apu_len, const u8* apv,
                 usize apv_len, u8 kek[32]) {
  WipedBuffer<4 + kP256CoordinateSize + 4 + sizeof(kAlg) + 4 + kMaxPartyInfo + 4 + kMaxPartyInfo +
              4>
      input;
  usize n = 0;
  PutBe32(input.bytes + n, 1);
  n += 4;
  memcpy(input.bytes + n, z, kP256CoordinateSize);
  n += kP256CoordinateSize;
  PutBe32(input.bytes + n, sizeof(kAlg) - 1);
  n += 4;
  memcpy(input.bytes + n, kAlg, sizeof(kAlg) - 1);
  n += sizeof(kAlg) - 1;
  PutBe32(input.bytes + n, static_cast<u32>(apu_len));
  n += 4;
  memcpy(input.bytes + n, apu, apu_len);
  n += apu_len;
  PutBe32(input.bytes + n, static_cast<u32>(apv_len));
  n += 4;
  memcpy(input.bytes + n, apv, apv_len);
  n += apv_len;
  PutBe32(input.bytes + n, 256);
  n += 4;
  crypto::FpuGuard fpu;
  if (mbedtls_sha256_ret(input.bytes, n, kek, 0) != 0) {
    return Status(Err::kHardware, "jwe: SHA-256 failed");
  }
  return Status::Ok();
}

}  // namespace

Status AesKeyUnwrap(const u8 kek[32], const u8* wrapped, usize wrapped_len, u8* out) {
  if (wrapped_len < 24 || wrapped_len % 8 != 0 || wrapped_len > 8 + 64) {
    return Status(Err::kInvalidArgument, "jwe: wrapped key length");
  }
  const usize n = wrapped_len / 8 - 1;
  u8 a[8];
  memcpy(a, wrapped, 8);
  memcpy(out, wrapped + 8, n * 8);
  crypto::FpuGuard fpu;
  mbedtls_aes_context aes;
  mbedtls_aes_init(&aes);
  if (mbedtls_aes_setkey_dec(&aes, kek, 256) != 0) {
    mbedtls_aes_free(&aes);
    return Status(Err::kHardware, "jwe: AES key schedule failed");
  }
  u8 block[16];
  for (int j = 5; j >= 0; --j) {
    for (usize i = n; i >= 1; --i) {
      const u64 t = static_cast<u64>(n) * static_cast<u64>(j) + i;
      memcpy(block, a, 8);
      for (int k = 0; k < 8; ++k) block[7 - k] ^= static_cast<u8>(t >> (8 * k));
      memcpy(block + 8, out + (i - 1) * 8, 8);
      if (mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_DECRYPT, block, block) != 0) {
        mbedtls_aes_free(&aes);
        crypto::SecureZero(block, sizeof(block));
        return Status(Err::kHardware, "jwe: AES failed");
      }
      memcpy(a, block, 8);
      memcpy(out + (i - 1) * 8, block + 8, 8);
    }
  }
  mbedtls_aes_free(&aes);
  crypto::SecureZero(block, sizeof(block));
  // The integrity check value (RFC 3394 2.2.3), compared without an early exit.
  u8 diff = 0;
  for (u8 b : a) diff |= static_cast<u8>(b ^ 0xA6);
  if (diff != 0) {
    crypto::SecureZero(out, n * 8);
    return Status(Err::kInvalidArgument, "jwe: key unwrap integrity check failed");
  }
  return Status::Ok();
}

Result<usize> OpenJwe(const char* json, usize len, const TeeKey& key,
                      int (*rng)(void*, unsigned char*, size_t), void* rng_context, u8* out,
                      usize cap) {
  PV_TRY(JsonCheck(json, len));
  const JsonSpan jwe{json, len};
  if (JsonTypeOf(jwe) != JsonType::kObject) {
    return Status(Err::kInvalidArgument, "jwe: not a JSON object");
  }
  static const char* const kMembers[] = {"protected", "encrypted_key", "iv", "ciphertext", "tag"};
  PV_TRY(OnlyMembers(jwe, kMembers, 5, 5));

  // The protected header: its base64url text is also the AAD.
  PV_TRY_ASSIGN(JsonSpan prot_value, JsonMember(jwe, "protected"));
  if (JsonTypeOf(prot_value) != JsonType::kString) {
    return Status(Err::kInvalidArgument, "jwe: protected is not a string");
  }
  const char* aad = prot_value.data + 1;
  const usize aad_len = prot_value.len - 2;
  static char header_text[kMaxProtected];
  PV_TRY_ASSIGN(usize header_len,
                Base64Decode(B64::kUrl, aad, aad_len, reinterpret_cast<u8*>(header_text),
                             sizeof(header_text)));
  PV_TRY(JsonCheck(header_text, header_len));
  const JsonSpan header{header_text, header_len};
  if (JsonTypeOf(header) != JsonType::kObject) {
    return Status(Err::kInvalidArgument, "jwe: protected header is not an object");
  }
  static const char* const kHeaderMembers[] = {"alg", "enc", "epk", "apu", "apv", "kid"};
  PV_TRY(OnlyMembers(header, kHeaderMembers, 6, 3));
  PV_TRY(ExpectString(header, "alg", kAlg));
  PV_TRY(ExpectString(header, "enc", "A256GCM"));
  PV_TRY_ASSIGN(JsonSpan epk, JsonMember(header, "epk"));
  if (JsonTypeOf(epk) != JsonType::kObject) return Status(Err::kInvalidArgument, "jwe: epk");
  static const char* const kEpkMembers[] = {"kty", "crv", "x", "y"};
  PV_TRY(OnlyMembers(epk, kEpkMembers, 4, 4));
  PV_TRY(ExpectString(epk, "kty", "EC"));
  PV_TRY(ExpectString(epk, "crv", "P-256"));
  u8 epk_x[kP256CoordinateSize + 1];
  u8 epk_y[kP256CoordinateSize + 1];
  PV_TRY_ASSIGN(usize xl, MemberBytes(epk, "x", epk_x, kP256CoordinateSize, sizeof(epk_x)));
  PV_TRY_ASSIGN(usize yl, MemberBytes(epk, "y", epk_y, kP256CoordinateSize, sizeof(epk_y)));
  if (xl != kP256CoordinateSize || yl != kP256CoordinateSize) {
    return Status(Err::kInvalidArgument, "jwe: epk coordinates are not 32 bytes");
  }
  u8 apu[kMaxPartyInfo];
  u8 apv[kMaxPartyInfo];
  usize apu_len = 0;
  usize apv_len = 0;
  if (const Result<usize> r = MemberBytes(header, "apu", apu, 0, sizeof(apu)); r.ok()) {
    apu_len = r.value();
  } else if (r.status().code() != Err::kNotFound) {
    return r.status();
  }
  if (const Result<usize> r = MemberBytes(header, "apv", apv, 0, sizeof(apv)); r.ok()) {
    apv_len = r.value();
  } else if (r.status().code() != Err::kNotFound) {
    return r.status();
  }

  u8 wrapped[40 + 1];
  PV_TRY_ASSIGN(usize wrapped_len, MemberBytes(jwe, "encrypted_key", wrapped, 40, sizeof(wrapped)));
  if (wrapped_len != 40) return Status(Err::kInvalidArgument, "jwe: encrypted_key is not 40 bytes");
  u8 iv[crypto::kGcmIvSize + 1];
  PV_TRY_ASSIGN(usize iv_len, MemberBytes(jwe, "iv", iv, crypto::kGcmIvSize, sizeof(iv)));
  u8 tag[crypto::kGcmTagSize + 1];
  PV_TRY_ASSIGN(usize tag_len, MemberBytes(jwe, "tag", tag, crypto::kGcmTagSize, sizeof(tag)));
  if (iv_len != crypto::kGcmIvSize || tag_len != crypto::kGcmTagSize) {
    return Status(Err::kInvalidArgument, "jwe: iv must be 12 and tag 16 bytes");
  }
  static u8 ciphertext[kMaxSecret];
  PV_TRY_ASSIGN(usize ct_len, MemberBytes(jwe, "ciphertext", ciphertext, 0, sizeof(ciphertext)));
  if (ct_len > cap) return Status(Err::kOutOfRange, "jwe: secret larger than its buffer");

  WipedBuffer<kP256CoordinateSize> z;
  WipedBuffer<32> kek;
  WipedBuffer<32> cek;
  PV_TRY(key.SharedSecret(epk_x, epk_y, z.bytes, rng, rng_context));
  PV_TRY(ConcatKdf(z.bytes, apu, apu_len, apv, apv_len, kek.bytes));
  PV_TRY(AesKeyUnwrap(kek.bytes, wrapped, wrapped_len, cek.bytes));
  const Status opened = crypto::Aes256GcmOpen(cek.bytes, iv, reinterpret_cast<const u8*>(aad),
                                              aad_len, ciphertext, ct_len, tag, out);
  crypto::SecureZero(ciphertext, sizeof(ciphertext));
  if (!opened.ok()) return Status(Err::kInvalidArgument, "jwe: content authentication failed");
  return ct_len;
}

}  // namespace pv::kbs_client
