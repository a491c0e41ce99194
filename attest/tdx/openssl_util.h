// The OpenSSL operations the TDX verifier needs: SHA-256, ECDSA-P256 with raw r||s signatures,
// certificate and CRL loading (PEM or DER), chain verification at an explicit time, and ASN.1
// time conversion. Everything returns absl::Status with a message naming the input.
#ifndef PV_ATTEST_TDX_OPENSSL_UTIL_H_
#define PV_ATTEST_TDX_OPENSSL_UTIL_H_

#include <array>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attest/common/openssl_ptr.h"

namespace pv::attest::tdx {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(absl::string_view data);
std::string Sha256String(absl::string_view data);  // 32 raw bytes as a string (cache keys)

// An EC P-256 public key from the 64-byte x||y form used in TDX quotes.
absl::StatusOr<EvpPkeyPtr> P256KeyFromXY(absl::string_view xy);

// Verifies an ECDSA-P256/SHA-256 signature given as 64 bytes r||s (big-endian halves).
absl::Status VerifyEcdsaP256(EVP_PKEY* key, absl::string_view data, absl::string_view sig_rs,
                             absl::string_view what);

// A P-256 public key prepared for repeated verification from any thread: verification contexts
// are initialised once and pooled, so a verify costs the signature check itself, not OpenSSL's
// per-context algorithm fetches.
class P256Verifier {
 public:
  explicit P256Verifier(EvpPkeyPtr key) : key_(std::move(key)) {}
  P256Verifier(const P256Verifier&) = delete;
  P256Verifier& operator=(const P256Verifier&) = delete;

  // Same contract as VerifyEcdsaP256.
  absl::Status Verify(absl::string_view data, absl::string_view sig_rs,
                      absl::string_view what) const;
  EVP_PKEY* key() const { return key_.get(); }

 private:
  static constexpr size_t kMaxIdleContexts = 8;
  EvpPkeyPtr key_;
  mutable std::mutex mu_;
  mutable std::vector<EvpPkeyCtxPtr> idle_;
};

// Every certificate in a PEM bundle, in order; at most `max_certs`.
absl::StatusOr<std::vector<X509Ptr>> ParsePemCertificates(absl::string_view pem, size_t max_certs,
                                                          absl::string_view what);
// Certificates in PEM, or DER certificates concatenated back to back (as Intel's sample quote
// generator writes the PCK certificate data); at most `max_certs`, the whole input consumed.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificateBundle(absl::string_view data,
                                                            size_t max_certs,
                                                            absl::string_view what);
// One certificate, PEM or DER.
absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view pem_or_der, absl::string_view what);
// One CRL, PEM or DER.
absl::StatusOr<X509CrlPtr> ParseCrl(absl::string_view pem_or_der, absl::string_view what);
std::string DerOf(X509* cert);
std::string DerOf(X509_CRL* crl);

// Verifies `leaf` up to `anchor` (which must be self-signed) through `intermediates` with every
// validity period checked at `now`. On failure the message names the certificate and the
// OpenSSL verification error.
absl::Status VerifyCertificateChain(X509* leaf, const std::vector<X509*>& intermediates,
                                    X509* anchor, time_t now, absl::string_view what);

// The intersection of the validity periods of `certs` (certificates' notBefore/notAfter).
struct Validity {
  time_t not_before = 0;
  time_t not_after = 0;
};
absl::StatusOr<Validity> ChainValidity(const std::vector<X509*>& certs);

absl::StatusOr<time_t> Asn1TimeToUnix(const ASN1_TIME* t);
// "2025-05-21T10:50:10Z" (the collateral format); strict.
absl::StatusOr<time_t> ParseIsoTime(absl::string_view s, absl::string_view what);
std::string FormatUnixTime(time_t t);

std::string CommonName(const X509_NAME* name);
std::string SubjectCn(X509* cert);
std::string SerialHex(const ASN1_INTEGER* serial);

// The OpenSSL error queue as text (and cleared), for error messages.
std::string DrainOpenSslErrors();

}  // namespace pv::attest::tdx

#endif  // PV_ATTEST_TDX_OPENSSL_UTIL_H_
