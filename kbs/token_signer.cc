#include "kbs/token_signer.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"
#include "attest/common/signature_util.h"
#include "kbs/base64.h"
#include "kbs/jwk.h"
#include "kbs/kbs_error.h"

namespace pv::kbs {
namespace {

absl::StatusOr<attest::EvpPkeyPtr> ReadKey(const std::string& path) {
  auto pem = attest::ReadFileBytes(path, size_t{64} * 1024);
  if (!pem.ok()) return pem.status();
  attest::BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  attest::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key || !attest::IsEcKeyOnCurve(key.get(), "prime256v1")) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a P-256 private key (PEM)"));
  }
  return key;
}

absl::StatusOr<attest::EvpPkeyPtr> CreateKey(const std::string& path) {
  attest::EvpPkeyPtr key(EVP_EC_gen("prime256v1"));
  if (!key) return absl::InternalError("token key generation failed");
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat(tmp, ": cannot create"));
  FILE* f = ::fdopen(fd, "w");
  const bool ok = f != nullptr &&
                  PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
                  std::fflush(f) == 0 && ::fsync(fd) == 0;
  if (f != nullptr) (void)std::fclose(f);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat(path, ": cannot write token key"));
  }
  return key;
}

}  // namespace

absl::StatusOr<TokenSigner> TokenSigner::LoadOrCreate(const std::string& path) {
  struct stat st {};
  auto key = ::stat(path.c_str(), &st) == 0 ? ReadKey(path) : CreateKey(path);
  if (!key.ok()) return key.status();
  return TokenSigner(std::move(*key));
}

absl::StatusOr<std::string> TokenSigner::Sign(const nlohmann::json& claims) const {
  const nlohmann::json header = {{"alg", "ES256"}, {"typ", "JWT"}};
  const std::string signing_input =
      absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(claims.dump()));
  // SHA-256 of the signing input, then ECDSA over it with a signing context kept per thread
  // (set up once: EVP_DigestSignInit would fetch the digest and build a context per token).
  // The context holds a reference to the key, so a pointer match always names a live key.
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  uint8_t digest[32];
  unsigned int digest_len = 0;
  if (sha256 == nullptr || EVP_Digest(signing_input.data(), signing_input.size(), digest,
                                      &digest_len, sha256, nullptr) != 1) {
    return absl::InternalError("token signing failed");
  }
  struct SignContext {
    const EVP_PKEY* key = nullptr;
    attest::EvpPkeyCtxPtr ctx;
  };
  thread_local SignContext cached;
  if (cached.key != key_.get()) {
    attest::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) {
      return absl::InternalError("token signing failed");
    }
    cached = SignContext{key_.get(), std::move(ctx)};
  }
  size_t len = 0;
  if (EVP_PKEY_sign(cached.ctx.get(), nullptr, &len, digest, digest_len) != 1) {
    return absl::InternalError("token signing failed");
  }
  attest::Bytes der(len);
  if (EVP_PKEY_sign(cached.ctx.get(), der.data(), &len, digest, digest_len) != 1) {
    return absl::InternalError("token signing failed");
  }
  // JWS wants r || s, each 32 bytes big-endian, not the DER ECDSA-Sig-Value.
  const uint8_t* p = der.data();
  attest::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return absl::InternalError("token signature decoding failed");
  attest::Bytes raw(64);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + 32, 32) != 32) {
    return absl::InternalError("token signature encoding failed");
  }
  return absl::StrCat(signing_input, ".", Base64UrlEncode(raw));
}

absl::Status TokenSigner::Verify(const CompactJwt& jwt) const {
  auto refused = [] {
    return KbsError(absl::StatusCode::kUnauthenticated, "InvalidToken",
                    "attestation token: signature does not verify with this KBS's token key");
  };
  if (jwt.signature.size() != 64) return refused();
  uint8_t digest[32];
  unsigned int digest_len = 0;
  if (EVP_Digest(jwt.signing_input.data(), jwt.signing_input.size(), digest, &digest_len,
                 EVP_sha256(), nullptr) != 1) {
    return refused();
  }
  // r || s back into the DER ECDSA-Sig-Value OpenSSL verifies.
  attest::EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(jwt.signature.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(jwt.signature.data() + 32, 32, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return refused();
  }
  uint8_t* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return refused();
  attest::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  const bool ok =
      ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
      EVP_PKEY_verify(ctx.get(), der, static_cast<size_t>(der_len), digest, digest_len) == 1;
  OPENSSL_free(der);
  return ok ? absl::OkStatus() : refused();
}

nlohmann::json TokenSigner::PublicJwk() const {
  auto jwk = EcPublicJwk(key_.get(), "P-256");
  nlohmann::json out = jwk.ok() ? *jwk : nlohmann::json::object();
  out["alg"] = "ES256";
  return out;
}

}  // namespace pv::kbs
