#include "kbs/jwe.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "attest/common/openssl_ptr.h"
#include "kbs/base64.h"

namespace pv::kbs {
namespace {

using attest::Bytes;
using attest::ByteSpan;
using Json = nlohmann::json;

constexpr size_t kCekBytes = 32;
constexpr size_t kIvBytes = 12;
constexpr size_t kTagBytes = 16;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// Wipes a key buffer on every exit path.
struct Wiped {
  Bytes bytes;
  ~Wiped() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

// Algorithms fetched from the provider once: EVP_aes_256_gcm() and friends make every
// EVP_EncryptInit_ex look the implementation up again (OpenSSL 3's implicit fetch). Fetched
// objects are immutable and may be shared by threads.
const EVP_CIPHER* FetchedCipher(const char* name) {
  return EVP_CIPHER_fetch(nullptr, name, nullptr);
}
const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* cipher = FetchedCipher("AES-256-GCM");
  return cipher;
}
const EVP_CIPHER* Aes256Wrap() {
  static const EVP_CIPHER* cipher = FetchedCipher("AES-256-WRAP");
  return cipher;
}

// Ephemeral keys come from a key-generation context set up once per curve and thread
// (EVP_EC_gen builds and tears one down per key, twice the cost of the generation itself).
// Contexts are not thread-safe, hence one per thread; each key is still fresh and random.
EVP_PKEY* GenerateEphemeral(const char* group) {
  struct Generator {
    std::string group;
    attest::EvpPkeyCtxPtr ctx;
  };
  thread_local std::vector<Generator> generators;
  EVP_PKEY_CTX* ctx = nullptr;
  for (const Generator& g : generators) {
    if (g.group == group) ctx = g.ctx.get();
  }
  if (ctx == nullptr) {
    attest::EvpPkeyCtxPtr made(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    if (!made || EVP_PKEY_keygen_init(made.get()) <= 0 ||
        EVP_PKEY_CTX_set_group_name(made.get(), group) <= 0) {
      return nullptr;
    }
    ctx = made.get();
    generators.push_back(Generator{group, std::move(made)});
  }
  EVP_PKEY* key = nullptr;
  return EVP_PKEY_generate(ctx, &key) == 1 ? key : nullptr;
}

void PutBe32(Bytes* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<uint8_t>(v >> shift));
}

absl::StatusOr<Bytes> AesKeyWrap(ByteSpan kek, ByteSpan cek) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(cek.size() + 8);
  int len = 0, fin = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), Aes256Wrap(), nullptr, kek.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, cek.data(), static_cast<int>(cek.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    return absl::InternalError("JWE: AES key wrap failed");
  }
  out.resize(static_cast<size_t>(len) + static_cast<size_t>(fin));
  return out;
}

absl::StatusOr<Bytes> Ecdh(EVP_PKEY* priv, EVP_PKEY* peer) {
  attest::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, priv, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      // No second public-key validation: the peer is the session's tee-pubkey, which
      // ParseTeePublicKey checked (on the curve, cofactor-1 curves) when it was accepted; the
      // default check would repeat it with a full scalar multiplication by the group order.
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, /*validate_peer=*/0) <= 0 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) <= 0) {
    return absl::InternalError("JWE: ECDH setup failed");
  }
  Bytes z(len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &len) <= 0)
    return absl::InternalError("JWE: ECDH failed");
  z.resize(len);
  return z;
}

// Key management for ECDH-ES+A256KW: fills the header's epk and returns the wrapped CEK.
absl::StatusOr<Bytes> WrapEcdh(const TeePublicKey& recipient, ByteSpan cek, Json* header) {
  const char* group = nullptr;
  size_t size = 0;
  if (!JoseCurve(recipient.curve, &group, &size)) return absl::InternalError("JWE: curve");
  attest::EvpPkeyPtr eph(GenerateEphemeral(group));
  if (!eph) return absl::InternalError("JWE: ephemeral key generation failed");
  auto epk = EcPublicJwk(eph.get(), recipient.curve);
  if (!epk.ok()) return epk.status();
  (*header)["epk"] = *epk;
  auto z = Ecdh(eph.get(), recipient.key.get());
  if (!z.ok()) return z.status();
  Wiped secret{std::move(*z)};
  Wiped kek{ConcatKdfA256(secret.bytes, "ECDH-ES+A256KW")};
  return AesKeyWrap(kek.bytes, cek);
}

absl::StatusOr<Bytes> WrapRsa(const TeePublicKey& recipient, ByteSpan cek) {
  attest::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, recipient.key.get(), nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_encrypt(ctx.get(), nullptr, &len, cek.data(), cek.size()) <= 0) {
    return absl::InternalError("JWE: RSA-OAEP setup failed");
  }
  Bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, cek.data(), cek.size()) <= 0) {
    return absl::InternalError("JWE: RSA-OAEP encryption failed");
  }
  out.resize(len);
  return out;
}

}  // namespace

Bytes ConcatKdfA256(ByteSpan z, const std::string& algorithm_id) {
  Bytes input;
  PutBe32(&input, 1);  // round counter: one SHA-256 output is the whole 256-bit key
  input.insert(input.end(), z.begin(), z.end());
  PutBe32(&input, static_cast<uint32_t>(algorithm_id.size()));
  input.insert(input.end(), algorithm_id.begin(), algorithm_id.end());
  PutBe32(&input, 0);    // PartyUInfo: empty
  PutBe32(&input, 0);    // PartyVInfo: empty
  PutBe32(&input, 256);  // SuppPubInfo: key length in bits
  Bytes key(32);
  unsigned int len = 0;
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);  // fetched once
  EVP_Digest(input.data(), input.size(), key.data(), &len, sha256, nullptr);
  OPENSSL_cleanse(input.data(), input.size());
  return key;
}

absl::StatusOr<Json> EncryptJwe(const TeePublicKey& recipient, ByteSpan plaintext) {
  Wiped cek{Bytes(kCekBytes)};
  Bytes iv(kIvBytes);
  if (RAND_bytes(cek.bytes.data(), kCekBytes) != 1 || RAND_bytes(iv.data(), kIvBytes) != 1) {
    return absl::InternalError("JWE: random generator failed");
  }
  Json header;
  absl::StatusOr<Bytes> encrypted_key;
  if (recipient.wrap == KeyWrap::kEcdhEsA256Kw) {
    header["alg"] = "ECDH-ES+A256KW";
    encrypted_key = WrapEcdh(recipient, cek.bytes, &header);
  } else {
    header["alg"] = "RSA-OAEP-256";
    encrypted_key = WrapRsa(recipient, cek.bytes);
  }
  if (!encrypted_key.ok()) return encrypted_key.status();
  header["enc"] = "A256GCM";
  const std::string protected_b64 = Base64UrlEncode(header.dump());

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes ciphertext(plaintext.size() + 16);
  Bytes tag(kTagBytes);
  int len = 0, fin = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kIvBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, cek.bytes.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const uint8_t*>(protected_b64.data()),
                        static_cast<int>(protected_b64.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ciphertext.data(), &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ciphertext.data() + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag.data()) != 1) {
    return absl::InternalError("JWE: AES-256-GCM encryption failed");
  }
  ciphertext.resize(static_cast<size_t>(len) + static_cast<size_t>(fin));
  return Json{{"protected", protected_b64},
              {"encrypted_key", Base64UrlEncode(*encrypted_key)},
              {"iv", Base64UrlEncode(iv)},
              {"ciphertext", Base64UrlEncode(ciphertext)},
              {"tag", Base64UrlEncode(tag)}};
}

}  // namespace pv::kbs
