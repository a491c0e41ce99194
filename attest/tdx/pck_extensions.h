// Parser for the Intel SGX PCK certificate extension (OID 1.2.840.113741.1.13.1), written as a
// small bounded DER reader: every length is checked against its enclosing element, tags must
// be what the Intel PCK certificate profile says, and repeated or missing members are errors.
#ifndef PV_ATTEST_TDX_PCK_EXTENSIONS_H_
#define PV_ATTEST_TDX_PCK_EXTENSIONS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pv::attest::tdx {

struct PckExtensions {
  std::string ppid;                          // 16 bytes
  std::array<uint8_t, 16> tcb_components{};  // SGX TCB comp01..16 SVNs
  uint16_t pcesvn = 0;
  std::string cpusvn;  // 16 bytes
  std::string pceid;   // 2 bytes
  std::string fmspc;   // 6 bytes
  int sgx_type = -1;   // 0 Standard, 1 Scalable, 2 ScalableWithIntegrity
};

// Parses the DER contents of the extension's OCTET STRING (the SEQUENCE of SGX extensions).
absl::StatusOr<PckExtensions> ParsePckExtensionsDer(absl::string_view der);

// The DER encoding (without tag and length) of OID 1.2.840.113741.1.13.1.
inline constexpr absl::string_view kSgxExtensionsOid{"\x2a\x86\x48\x86\xf8\x4d\x01\x0d\x01", 9};

}  // namespace pv::attest::tdx

#endif  // PV_ATTEST_TDX_PCK_EXTENSIONS_H_
