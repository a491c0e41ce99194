// Payloads carried inside guest messages and the quote buffer, built and checked here (portable,
// fuzzed): MSG_REPORT_REQ/RSP (SEV-SNP), the simulated TDX personality's TDREPORT request and
// response, and the TDX GetQuote buffer (struct tdx_quote_buf: version, status, in_len,
// out_len, data), which both the TDVMCALL and the exit-proxy transport return.
//
// All parsers take private copies and check every length before reading; the evidence itself is
// signed and is verified by whoever relies on it (pvattest, a key broker), so the paravisor only
// checks what binds the answer to its request: status, sizes, and that the REPORT_DATA it asked
// for is the one in the report.
#ifndef PV_ATTEST_EVIDENCE_FORMAT_H_
#define PV_ATTEST_EVIDENCE_FORMAT_H_

#include "../../protocol/attest/snp_guest_msg.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::attest {

inline constexpr usize kReportDataSize = 64;

// ATTESTATION_REPORT fields the paravisor checks (offsets per the SEV-SNP ABI).
inline constexpr usize kSnpReportVersionOffset = 0x00;
inline constexpr usize kSnpReportVmplOffset = 0x30;
inline constexpr usize kSnpReportDataOffset = 0x50;
// TDREPORT_STRUCT: REPORTMACSTRUCT.REPORTDATA.
inline constexpr usize kTdReportDataOffset = 128;

// MSG_REPORT_REQ payload for VMPL `vmpl`, key selection 0 (VLEK if present, else VCEK).
void BuildReportRequest(const u8 report_data[kReportDataSize], u32 vmpl,
                        u8 out[sizeof(attest_proto::ReportRequest)]);

// MSG_REPORT_RSP payload -> the 1184-byte report (into `report`), checked against the request.
Status ParseReportResponse(const u8* payload, usize len, const u8 report_data[kReportDataSize],
                           u32 vmpl, u8 report[attest_proto::kAttestationReportSize]);

// Simulated TDX personality: request = REPORTDATA; response = status, size, rsvd, TDREPORT.
Status ParseTdReportResponse(const u8* payload, usize len, const u8 report_data[kReportDataSize],
                             u8 tdreport[attest_proto::kTdReportSize]);

// Simulated TDX personality, RTMR extension: request = u64 index, 48 bytes; response = status,
// size (48), rsvd, the new RTMR value (into `value`).
void BuildRtmrExtendRequest(u32 index, const u8 data[attest_proto::kRtmrSize],
                            u8 out[attest_proto::kRtmrExtendRequestSize]);
Status ParseRtmrExtendResponse(const u8* payload, usize len, u8 value[attest_proto::kRtmrSize]);

// struct tdx_quote_buf header (Linux tdx-guest ABI).
struct QuoteBufferHeader {
  u64 version;  // kQuoteBufferVersion
  u64 status;   // kQuoteStatusSuccess when the quote is there
  u32 in_len;   // bytes of TDREPORT the guest put in data[]
  u32 out_len;  // bytes of quote the host put in data[]
};
static_assert(sizeof(QuoteBufferHeader) == 24);
inline constexpr u64 kQuoteBufferVersion = 1;
inline constexpr u64 kQuoteStatusSuccess = 0;
inline constexpr u64 kQuoteStatusInFlight = 0xffffffffffffffffull;

// Writes the GetQuote request buffer (header + TDREPORT); returns its length.
Result<usize> BuildQuoteBuffer(const u8 tdreport[attest_proto::kTdReportSize], u8* out, usize cap);

// Checks a returned quote buffer and locates the quote: a TDX v4 quote header (version 4,
// ECDSA-P256 attestation key type 2, TEE type 0x81) of out_len bytes within `len`.
struct QuoteView {
  usize offset = 0;  // of the quote inside the buffer
  usize length = 0;
};
Result<QuoteView> ParseQuoteBuffer(const u8* buffer, usize len);

}  // namespace pv::attest

#endif  // PV_ATTEST_EVIDENCE_FORMAT_H_
