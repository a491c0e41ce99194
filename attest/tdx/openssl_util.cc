#include "attest/tdx/openssl_util.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/status_macros.h"

namespace pv::attest::tdx {
namespace {

using OsslParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>>;
// sk_X509_free is a macro; wrap it so it can be a deleter (frees the stack, not the certs).
void FreeX509Stack(STACK_OF(X509) * s) {
  sk_X509_free(s);
}
using X509StackPtr = std::unique_ptr<STACK_OF(X509), OpenSslDeleter<FreeX509Stack>>;

bool LooksLikePem(absl::string_view s) {
  return s.find("-----BEGIN ") != absl::string_view::npos;
}

}  // namespace

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Sha256Digest Sha256(absl::string_view data) {
  Sha256Digest d{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

std::string Sha256String(absl::string_view data) {
  Sha256Digest d = Sha256(data);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

absl::StatusOr<EvpPkeyPtr> P256KeyFromXY(absl::string_view xy) {
  if (xy.size() != 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("P-256 key: ", xy.size(), " bytes, expected 64"));
  }
  unsigned char point[65];
  point[0] = 0x04;  // uncompressed point
  std::copy(xy.begin(), xy.end(), point + 1);
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point))) {
    return absl::InternalError("P-256 key: OSSL_PARAM_BLD failed");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("attestation key is not a valid P-256 point: ", DrainOpenSslErrors()));
  }
  EvpPkeyPtr key(raw);
  // EVP_PKEY_fromdata does not prove the point is on the curve; a public-key check does.
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError("attestation key is not a point on P-256");
  }
  return key;
}

namespace {

// DER encoding of the r||s signature (at most 72 bytes for P-256).
absl::StatusOr<std::string> RawSignatureToDer(absl::string_view sig_rs, absl::string_view what) {
  if (sig_rs.size() != 64) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": signature is ", sig_rs.size(), " bytes, expected 64 (r||s)"));
  }
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig_rs.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig_rs.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return absl::InternalError(absl::StrCat(what, ": cannot build ECDSA_SIG"));
  }
  unsigned char der[80];
  unsigned char* p = der;
  int der_len = i2d_ECDSA_SIG(sig.get(), &p);
  if (der_len <= 0 || der_len > static_cast<int>(sizeof(der))) {
    return absl::InternalError(absl::StrCat(what, ": cannot encode signature"));
  }
  return std::string(reinterpret_cast<char*>(der), der_len);
}

// SHA-256 with a pre-fetched implementation (avoids an implicit fetch per call).
absl::Status Sha256Into(absl::string_view data, unsigned char out[32], absl::string_view what) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned int len = 0;
  if (sha256 == nullptr || EVP_Digest(data.data(), data.size(), out, &len, sha256, nullptr) != 1) {
    return absl::InternalError(absl::StrCat(what, ": SHA-256 failed: ", DrainOpenSslErrors()));
  }
  return absl::OkStatus();
}

absl::StatusOr<EvpPkeyCtxPtr> NewVerifyContext(EVP_PKEY* key, absl::string_view what) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) {
    return absl::InternalError(
        absl::StrCat(what, ": EVP_PKEY_verify_init: ", DrainOpenSslErrors()));
  }
  return ctx;
}

absl::Status VerifyDigest(EVP_PKEY_CTX* ctx, const std::string& der, const unsigned char* digest,
                          size_t data_size, absl::string_view what) {
  if (EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(), digest,
                      32) != 1) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ECDSA-P256 signature does not verify over ", data_size, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status VerifyEcdsaP256(EVP_PKEY* key, absl::string_view data, absl::string_view sig_rs,
                             absl::string_view what) {
  PV_TDX_ASSIGN_OR_RETURN(std::string der, RawSignatureToDer(sig_rs, what));
  unsigned char digest[32];
  PV_TDX_RETURN_IF_ERROR(Sha256Into(data, digest, what));
  PV_TDX_ASSIGN_OR_RETURN(EvpPkeyCtxPtr ctx, NewVerifyContext(key, what));
  return VerifyDigest(ctx.get(), der, digest, data.size(), what);
}

absl::Status P256Verifier::Verify(absl::string_view data, absl::string_view sig_rs,
                                  absl::string_view what) const {
  PV_TDX_ASSIGN_OR_RETURN(std::string der, RawSignatureToDer(sig_rs, what));
  unsigned char digest[32];
  PV_TDX_RETURN_IF_ERROR(Sha256Into(data, digest, what));
  EvpPkeyCtxPtr ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      ctx = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!ctx) {
    PV_TDX_ASSIGN_OR_RETURN(ctx, NewVerifyContext(key_.get(), what));
  }
  absl::Status status = VerifyDigest(ctx.get(), der, digest, data.size(), what);
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdleContexts) idle_.push_back(std::move(ctx));
  return status;
}

absl::StatusOr<std::vector<X509Ptr>> ParsePemCertificates(absl::string_view pem, size_t max_certs,
                                                          absl::string_view what) {
  if (pem.size() > (1 << 20)) return absl::InvalidArgumentError(absl::StrCat(what, ": too large"));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> certs;
  while (true) {
    X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (c == nullptr) break;
    certs.emplace_back(c);
    if (certs.size() > max_certs) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": more than ", max_certs, " certificates"));
    }
  }
  unsigned long err = ERR_peek_last_error();
  // Running out of PEM blocks is the normal end; anything else is a malformed certificate.
  if (err != 0 &&
      !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": malformed PEM certificate #",
                                                   certs.size() + 1, ": ", DrainOpenSslErrors()));
  }
  DrainOpenSslErrors();
  if (certs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no PEM certificate found"));
  }
  return certs;
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificateBundle(absl::string_view data,
                                                            size_t max_certs,
                                                            absl::string_view what) {
  if (LooksLikePem(data)) return ParsePemCertificates(data, max_certs, what);
  std::vector<X509Ptr> certs;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(data.data());
  const unsigned char* end = p + data.size();
  while (p < end) {
    if (certs.size() == max_certs) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": more than ", max_certs, " certificates"));
    }
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(end - p)));
    if (!cert) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": neither PEM nor DER certificate #",
                                                     certs.size() + 1, ": ", DrainOpenSslErrors()));
    }
    certs.push_back(std::move(cert));
  }
  if (certs.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty"));
  return certs;
}

absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view in, absl::string_view what) {
  if (LooksLikePem(in)) {
    PV_TDX_ASSIGN_OR_RETURN(auto certs, ParsePemCertificates(in, 1, what));
    return std::move(certs[0]);
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(in.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(in.size())));
  if (!cert) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not a DER or PEM certificate: ", DrainOpenSslErrors()));
  }
  return cert;
}

absl::StatusOr<X509CrlPtr> ParseCrl(absl::string_view in, absl::string_view what) {
  X509CrlPtr crl;
  if (LooksLikePem(in)) {
    BioPtr bio(BIO_new_mem_buf(in.data(), static_cast<int>(in.size())));
    crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(in.data());
    crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(in.size())));
  }
  if (!crl) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not a DER or PEM CRL: ", DrainOpenSslErrors()));
  }
  return crl;
}

std::string DerOf(X509* cert) {
  unsigned char* buf = nullptr;
  int len = i2d_X509(cert, &buf);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(buf), len);
  OPENSSL_free(buf);
  return out;
}

std::string DerOf(X509_CRL* crl) {
  unsigned char* buf = nullptr;
  int len = i2d_X509_CRL(crl, &buf);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(buf), len);
  OPENSSL_free(buf);
  return out;
}

absl::Status VerifyCertificateChain(X509* leaf, const std::vector<X509*>& intermediates,
                                    X509* anchor, time_t now, absl::string_view what) {
  X509StorePtr store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx || X509_STORE_add_cert(store.get(), anchor) != 1) {
    return absl::InternalError(absl::StrCat(what, ": cannot set up X509_STORE"));
  }
  for (X509* c : intermediates) sk_X509_push(untrusted.get(), c);  // borrowed, not owned
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) {
    return absl::InternalError(absl::StrCat(what, ": X509_STORE_CTX_init failed"));
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, now);
  // Intel PCK certificates are plain X.509v3; strict mode is deliberately not enabled.
  int rc = X509_verify_cert(ctx.get());
  if (rc != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    X509* bad = X509_STORE_CTX_get_current_cert(ctx.get());
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": certificate \"", bad ? SubjectCn(bad) : "?", "\" at depth ", depth,
                     ": ", X509_verify_cert_error_string(err), " (at ", FormatUnixTime(now), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<time_t> Asn1TimeToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return absl::InvalidArgumentError("unparseable ASN.1 time");
  }
  return timegm(&tm);
}

absl::StatusOr<Validity> ChainValidity(const std::vector<X509*>& certs) {
  Validity v{0, std::numeric_limits<time_t>::max()};
  for (X509* c : certs) {
    PV_TDX_ASSIGN_OR_RETURN(time_t nb, Asn1TimeToUnix(X509_get0_notBefore(c)));
    PV_TDX_ASSIGN_OR_RETURN(time_t na, Asn1TimeToUnix(X509_get0_notAfter(c)));
    v.not_before = std::max(v.not_before, nb);
    v.not_after = std::min(v.not_after, na);
  }
  return v;
}

absl::StatusOr<time_t> ParseIsoTime(absl::string_view s, absl::string_view what) {
  // Exactly YYYY-MM-DDTHH:MM:SSZ, as PCS writes it.
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", s.substr(0, 40), "\" is not YYYY-MM-DDTHH:MM:SSZ"));
  };
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != 'Z') {
    return bad();
  }
  auto num = [&](size_t off, size_t len, int& out) {
    out = 0;
    for (size_t i = off; i < off + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, se) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
    return bad();
  }
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return timegm(&tm);
}

std::string FormatUnixTime(time_t t) {
  struct tm tm {};
  gmtime_r(&t, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string CommonName(const X509_NAME* name) {
  if (name == nullptr) return {};
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     ASN1_STRING_length(s));
}

std::string SubjectCn(X509* cert) {
  return CommonName(X509_get_subject_name(cert));
}

std::string SerialHex(const ASN1_INTEGER* serial) {
  if (serial == nullptr) return {};
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                                     ASN1_STRING_length(serial)));
}

}  // namespace pv::attest::tdx
