// The AMD-specific parts of a VCEK or VLEK certificate: its X.509 extensions under OID
// 1.3.6.1.4.1.3704.1 (structVersion, productName, the TCB security patch levels, hwID, cspId)
// and its profile (ECDSA P-384 key). Decoding is strict: every extension present must decode
// completely, and TCB values must fit in a byte.
#ifndef PV_ATTEST_SNP_VEK_CERT_H_
#define PV_ATTEST_SNP_VEK_CERT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <openssl/x509.h>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"

namespace pv::attest::snp {

struct VekExtensions {
  std::optional<int64_t> struct_version;
  std::optional<std::string> product_name;  // "Milan-B0", "Genoa", "Turin", "Milan" (VLEK)
  std::optional<uint8_t> bl_spl, tee_spl, snp_spl, ucode_spl, fmc_spl;
  std::optional<Bytes> hwid;          // 64 bytes (Milan/Genoa) or 8 bytes (Turin)
  std::optional<std::string> csp_id;  // VLEK only
};

// Decodes the AMD extensions of `cert`. Refuses malformed values (naming the OID).
absl::StatusOr<VekExtensions> ParseVekExtensions(const X509* cert);

// (name, value) pairs for display, prefixed with `prefix` (e.g. "VEK.").
std::vector<std::pair<std::string, std::string>> DescribeVekExtensions(const VekExtensions& ext,
                                                                       const std::string& prefix);

}  // namespace pv::attest::snp

#endif  // PV_ATTEST_SNP_VEK_CERT_H_
