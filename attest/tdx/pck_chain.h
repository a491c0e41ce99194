// The PCK certificate chain carried in a TDX quote's certification data: parsed (not yet
// trusted), with the leaf's P-256 key, its SGX extension and the issuing CA identified.
#ifndef PV_ATTEST_TDX_PCK_CHAIN_H_
#define PV_ATTEST_TDX_PCK_CHAIN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attest/common/openssl_ptr.h"
#include "attest/tdx/openssl_util.h"
#include "attest/tdx/pck_extensions.h"

namespace pv::attest::tdx {

inline constexpr size_t kMaxChainCerts = 8;
inline constexpr absl::string_view kPlatformCaCn = "Intel SGX PCK Platform CA";
inline constexpr absl::string_view kProcessorCaCn = "Intel SGX PCK Processor CA";

struct PckChain {
  std::vector<X509Ptr> certs;  // in the order of the quote
  X509* leaf = nullptr;        // the PCK certificate
  X509* issuer = nullptr;      // the PCK CA certificate (Platform or Processor)
  // The root the quote carries: the certificate of the bundle that issued the PCK CA (by name
  // and key identifier, not yet by signature), else any other self-signed certificate in it;
  // null when the bundle has none. QVL requires it
  // to be present, self-signed and equal to the trusted root.
  X509* embedded_root = nullptr;
  std::unique_ptr<P256Verifier> leaf_key;  // EC P-256
  // The SGX extension; an error here fails pck_chain but still lets the QE report signature be
  // checked with the leaf key.
  absl::StatusOr<PckExtensions> extensions = absl::UnknownError("not parsed");
  std::string ca;  // "platform" / "processor" (from the issuer CN), empty if neither
  std::string serial_hex;
};

// Parses PEM or concatenated-DER certificates (at most kMaxChainCerts). Quotes carry leaf, CA,
// root in that order, but Intel's sample generator writes the root first, so the leaf is found
// by role (not self-signed, issues nothing else in the bundle) and its issuer by name and key.
absl::StatusOr<std::shared_ptr<const PckChain>> ParsePckChain(absl::string_view data);

// The SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1), parsed.
absl::StatusOr<PckExtensions> ParsePckCertificateExtensions(X509* cert);

bool IsSelfSigned(X509* cert);

}  // namespace pv::attest::tdx

#endif  // PV_ATTEST_TDX_PCK_CHAIN_H_
