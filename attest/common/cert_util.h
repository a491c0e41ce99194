// X.509 helpers on top of OpenSSL 3: bounded PEM/DER decoding, fingerprints, validity at an
// explicit time, and printable names. Certificates here come from evidence or files and are
// treated as hostile input.
#ifndef PV_ATTEST_COMMON_CERT_UTIL_H_
#define PV_ATTEST_COMMON_CERT_UTIL_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attest/common/bytes.h"
#include "attest/common/openssl_ptr.h"
#include "attest/common/time_util.h"

namespace pv::attest {

// More certificates than any real chain holds; a bound on work for hostile PEM bundles.
inline constexpr size_t kMaxCertificatesPerFile = 16;

using Sha256Digest = std::array<uint8_t, 32>;

// Decodes one or more certificates: PEM (any number of CERTIFICATE blocks) or concatenated DER
// certificates that must span the whole input (trailing bytes are refused); at most
// kMaxCertificatesPerFile either way.
// `what` names the input in error messages.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(ByteSpan data, absl::string_view what);

// Exactly one certificate (PEM or DER).
absl::StatusOr<X509Ptr> ParseSingleCertificate(ByteSpan data, absl::string_view what);

bool LooksLikePem(ByteSpan data);

absl::StatusOr<Bytes> CertificateDer(const X509* cert);
absl::StatusOr<Sha256Digest> CertificateSha256(const X509* cert);
Sha256Digest Sha256(ByteSpan data);
// SHA-256, SHA-384 or SHA-512 of `data`, by OpenSSL name ("SHA256", "SHA384", "SHA512").
absl::StatusOr<Bytes> DigestOf(absl::string_view algorithm, ByteSpan data);

enum class Validity { kValid, kNotYetValid, kExpired, kUnreadable };
Validity CertificateValidityAt(const X509* cert, UnixTime now);
// notBefore / notAfter as Unix times (false if the fields cannot be converted).
bool CertificateValidityRange(const X509* cert, UnixTime* not_before, UnixTime* not_after);

std::string SubjectName(const X509* cert);
// A name in RFC 2253 form, and what differs between two names that should be equal (the
// attributes only one of them has), for messages that must show the whole difference.
std::string DistinguishedName(const X509_NAME* name);
std::string NameDifference(const X509_NAME* seen, const X509_NAME* expected);
std::string IssuerName(const X509* cert);
// True if `child`'s issuer DN equals `parent`'s subject DN (DER comparison).
bool IssuedBy(const X509* child, const X509* parent);

// The full human-readable dump (`openssl x509 -text` style).
std::string CertificateText(const X509* cert);

// The most recent OpenSSL error queue entries as text, clearing the queue.
std::string DrainOpenSslErrors();

}  // namespace pv::attest

#endif  // PV_ATTEST_COMMON_CERT_UTIL_H_
