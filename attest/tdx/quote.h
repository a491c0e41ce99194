// Bounded parser for Intel TDX ECDSA-P256 quotes, versions 4 and 5 (see
// ../shared/reference/attest.md §2.2). The parser only slices: every member is a view into the
// caller's buffer, which must outlive the ParsedQuote. No cryptography happens here.
#ifndef PV_ATTEST_TDX_QUOTE_H_
#define PV_ATTEST_TDX_QUOTE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pv::attest::tdx {

inline constexpr size_t kQuoteHeaderSize = 48;
inline constexpr size_t kTdReportBody10Size = 584;  // TD 1.0 body (v4, v5 type 2)
inline constexpr size_t kTdReportBody15Size = 648;  // TD 1.5 body (v5 type 3)
inline constexpr size_t kQeReportSize = 384;
inline constexpr size_t kMaxQuoteSize = 1 << 20;
inline constexpr uint16_t kAttestationKeyTypeEcdsaP256 = 2;
inline constexpr uint32_t kTeeTypeTdx = 0x81;
inline constexpr uint16_t kCertDataTypeQeReport = 6;
inline constexpr uint16_t kCertDataTypePckChain = 5;

// Offsets inside the TD report body.
struct TdBodyLayout {
  static constexpr size_t kTeeTcbSvn = 0, kMrSeam = 16, kMrSignerSeam = 64, kSeamAttributes = 112,
                          kTdAttributes = 120, kXfam = 128, kMrTd = 136, kMrConfigId = 184,
                          kMrOwner = 232, kMrOwnerConfig = 280, kRtmr0 = 328, kReportData = 520,
                          kTeeTcbSvn2 = 584, kMrServiceTd = 600;
};

// Offsets inside the 384-byte SGX report body that is the QE report.
struct QeReportLayout {
  static constexpr size_t kCpuSvn = 0, kMiscSelect = 16, kAttributes = 48, kMrEnclave = 64,
                          kMrSigner = 128, kIsvProdId = 256, kIsvSvn = 258, kReportData = 320;
};

struct ParsedQuote {
  uint16_t version = 0;
  uint16_t att_key_type = 0;
  uint32_t tee_type = 0;
  uint16_t qe_svn = 0;
  uint16_t pce_svn = 0;
  uint16_t body_type = 2;             // v4 is always a TD 1.0 body
  absl::string_view header;           // 48 bytes
  absl::string_view body;             // 584 or 648 bytes
  absl::string_view signed_data;      // header || [v5 type+size] || body
  absl::string_view signature;        // r||s, 64 bytes
  absl::string_view attestation_key;  // x||y, 64 bytes
  uint16_t cert_data_type = 0;
  absl::string_view qe_report;            // 384 bytes
  absl::string_view qe_report_signature;  // 64 bytes
  absl::string_view qe_auth_data;
  uint16_t pck_cert_data_type = 0;
  absl::string_view pck_chain_pem;  // leaf || intermediate || root
  size_t consumed = 0;              // bytes used; the rest is padding the parser ignores
  // Canonical-length facts (see "Trailing bytes" in tdx_verifier.h): bytes after the signature
  // data, whether they are all zero, and unused bytes left inside signature_data (after the
  // certification data) and inside the QE certification data (after the PCK chain).
  size_t trailing = 0;
  bool trailing_all_zero = true;
  size_t signature_data_slack = 0;
  size_t certification_data_slack = 0;

  absl::string_view BodyField(size_t off, size_t len) const { return body.substr(off, len); }
  absl::string_view QeField(size_t off, size_t len) const { return qe_report.substr(off, len); }
};

// Parses `quote`. Errors name the field, its offset and the sizes seen and expected.
absl::StatusOr<ParsedQuote> ParseQuote(absl::string_view quote);

// Every decoded field, with the stable names documented in tdx_verifier.h.
std::vector<std::pair<std::string, std::string>> DecodeQuoteFields(const ParsedQuote& q);

}  // namespace pv::attest::tdx

#endif  // PV_ATTEST_TDX_QUOTE_H_
