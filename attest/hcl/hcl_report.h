// Azure confidential VMs' "HCL report" (the vTPM NV index 0x01400001 content that the
// paravisor, OpenHCL/HCL, writes): a 32-byte header "HCLA", a 1184-byte hardware report (an
// SEV-SNP ATTESTATION_REPORT or a TDX TDREPORT), and request data whose variable part is the
// runtime-claims JSON (the vTPM attestation key "HCLAkPub", VM configuration, user data).
// The hardware report's REPORT_DATA binds the claims: REPORT_DATA[0:n] = hash(claims) with the
// hash named by the request data (SHA-256 in every report seen), and the rest of REPORT_DATA
// zero.
//
// Layout (little-endian u32s; see ../shared/reference/confidential.md §1c):
//   0x000 header      signature "HCLA", version, report_size (bytes that are meaningful,
//                     header included), request_type, status, reserved[3]
//   0x020 report      1184 bytes: SNP report (0x4A0, exactly the region) or TDREPORT (1024
//                     bytes, the rest zero)
//   0x4C0 request     data_size, version, report_type (2 SNP, 4 TDX; 1 VBS, 3 TVM, 5 CCA are
//                     not supported), report_data_hash_type (1 SHA-256, 2 SHA-384,
//                     3 SHA-512), variable_data_size, [version-specific fields], variable data
//                     (the claims JSON, the last variable_data_size bytes of the request data)
//   report_size..end  padding of the NV index: must be zero (judged by the `length` rule of
//                     attest/common/evidence_length.h)
// The parser is bounded: every size is checked against the buffer before it is used, and the
// result owns copies of its parts.
#ifndef PV_ATTEST_HCL_HCL_REPORT_H_
#define PV_ATTEST_HCL_HCL_REPORT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"
#include "attest/common/evidence_length.h"

namespace pv::attest::hcl {

inline constexpr size_t kHeaderSize = 0x20;
inline constexpr size_t kHardwareReportSize = 1184;
inline constexpr size_t kRequestDataOffset = kHeaderSize + kHardwareReportSize;  // 0x4C0
inline constexpr size_t kRequestDataFixedSize = 20;
inline constexpr size_t kTdReportSize = 1024;
inline constexpr size_t kMaxHclReportSize = size_t{64} * 1024;  // the NV index is a few KiB

enum class HclReportType : uint32_t { kSnp = 2, kTdx = 4 };

struct HclReport {
  uint32_t version = 0;
  uint32_t report_size = 0;
  uint32_t request_type = 0;
  uint32_t status = 0;
  HclReportType type = HclReportType::kSnp;
  uint32_t request_data_version = 0;
  uint32_t hash_type = 0;  // 1 SHA-256, 2 SHA-384, 3 SHA-512
  Bytes hardware_report;   // SNP: 0x4A0 bytes; TDX: the 1024-byte TDREPORT
  Bytes runtime_claims;    // the variable data, exactly as hashed
  EvidenceLength length;   // of the HCL report inside its file/NV buffer

  // OpenSSL digest name for hash_type ("SHA256", ...).
  const char* HashName() const;
  size_t HashSize() const;
};

absl::StatusOr<HclReport> ParseHclReport(ByteSpan data);

// True if `data` starts with the "HCLA" signature (for `inspect`'s content sniffing).
bool LooksLikeHclReport(ByteSpan data);

// REPORT_DATA of the hardware report (SNP offset 0x50, TDREPORT offset 128), 64 bytes.
ByteSpan HardwareReportData(const HclReport& report);

// The `runtime_claims_binding` check: "ok" or "fail:<token> <detail>" (hash-mismatch,
// nonzero-padding): REPORT_DATA[0:n] == hash(runtime_claims), REPORT_DATA[n:64] zero.
std::string CheckRuntimeClaimsBinding(const HclReport& report);

// Header, request data and claims as named fields (HCL.VERSION, HCL.REPORT_TYPE,
// HCL.RUNTIME_CLAIMS, HCL.AK_PUB (the JWK with kid "HCLAkPub"), HCL.VM_CONFIGURATION,
// HCL.USER_DATA, HCL.TRAILING_BYTES). Claims that are not a JSON object are reported as
// HCL.RUNTIME_CLAIMS.ERROR, never interpreted.
std::vector<std::pair<std::string, std::string>> DescribeHclReport(const HclReport& report);

// TDREPORT (TDX module ABI, REPORTMACSTRUCT + TEE_TCB_INFO + TDINFO) decoding. Off the
// platform only its internal consistency can be checked: TEE_TCB_INFO_HASH and TEE_INFO_HASH
// (SHA-384 of TEE_TCB_INFO and TDINFO); its MAC is keyed by the CPU and is not verifiable here.
struct TdReportLayout {
  static constexpr size_t kReportType = 0, kCpuSvn = 16, kTeeTcbInfoHash = 32, kTeeInfoHash = 80,
                          kReportData = 128, kMac = 224, kTeeTcbInfo = 256, kTeeTcbInfoSize = 239,
                          kTdInfo = 512, kTdInfoSize = 512;
};
// "ok" or "fail:<token> <detail>" for the two internal hashes and REPORTTYPE (0x81 = TDX).
std::string CheckTdReportHashes(ByteSpan tdreport);
// TDREPORT fields under the names a TDX quote uses (TEE_TCB_SVN, MRSEAM, MRSIGNERSEAM,
// SEAM_ATTRIBUTES, TD_ATTRIBUTES, XFAM, MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0-3,
// REPORT_DATA), lowercase hex; prefix each name with `prefix`.
std::vector<std::pair<std::string, std::string>> DescribeTdReport(ByteSpan tdreport,
                                                                  const std::string& prefix);

}  // namespace pv::attest::hcl

#endif  // PV_ATTEST_HCL_HCL_REPORT_H_
