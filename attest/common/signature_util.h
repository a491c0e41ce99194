// Signature primitives over OpenSSL 3 EVP: ECDSA (raw r/s to DER), RSASSA-PSS with fixed
// parameters, and the pieces of an X.509 certificate a signature covers. The verifiers call
// these with explicit algorithms instead of trusting the algorithm a certificate names.
#ifndef PV_ATTEST_COMMON_SIGNATURE_UTIL_H_
#define PV_ATTEST_COMMON_SIGNATURE_UTIL_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attest/common/bytes.h"

namespace pv::attest {

// The tbsCertificate and signatureValue of a DER certificate (views into `cert_der`).
struct CertSignedParts {
  ByteSpan tbs;
  ByteSpan signature;
};
absl::StatusOr<CertSignedParts> SplitCertificate(ByteSpan cert_der);

// The certificate's signature algorithm must be RSASSA-PSS with SHA-384, MGF1-SHA-384 and a
// 48-byte salt (AMD's profile); other parameters are refused with a message saying which.
absl::Status CheckRsaPssSha384Profile(const X509* cert);

// RSASSA-PSS / SHA-384 / MGF1-SHA-384 / salt 48 verification of `data`.
bool VerifyRsaPssSha384(EVP_PKEY* key, ByteSpan data, ByteSpan signature);

// ECDSA verification of `data` hashed with `md`; `der_signature` is an ECDSA-Sig-Value.
bool VerifyEcdsaDer(EVP_PKEY* key, const EVP_MD* md, ByteSpan data, ByteSpan der_signature);

// DER ECDSA-Sig-Value from big-endian r and s (leading zeros allowed).
absl::StatusOr<Bytes> EcdsaSignatureToDer(ByteSpan r_big_endian, ByteSpan s_big_endian);
// Same from little-endian r and s (AMD's report format).
absl::StatusOr<Bytes> EcdsaLittleEndianSignatureToDer(ByteSpan r_le, ByteSpan s_le);

// ECDSA malleability: (r, s) and (r, n - s) both verify. A signature is "low-S" when
// s <= n/2 (the form Bitcoin and some HSMs enforce); SEV-SNP and TDX hardware do not promise
// it, so verifiers only report it and policy may require it. `s_big_endian` may carry leading
// zeros; `curve` is "prime256v1" or "secp384r1" (anything else: false).
bool IsLowS(ByteSpan s_big_endian, absl::string_view curve);

// True if `key` is an EC key on the named group ("secp384r1", "prime256v1").
bool IsEcKeyOnCurve(EVP_PKEY* key, absl::string_view group_name);
bool IsRsaKey(EVP_PKEY* key);

}  // namespace pv::attest

#endif  // PV_ATTEST_COMMON_SIGNATURE_UTIL_H_
