#include "attest/evidence_format.h"

#include "lib/string.h"

namespace pv::attest {
namespace {

u32 Load32(const u8* p) {
  u32 v;
  memcpy(&v, p, sizeof(v));
  return v;
}
u16 Load16(const u8* p) {
  u16 v;
  memcpy(&v, p, sizeof(v));
  return v;
}

// Response prefix shared by MSG_REPORT_RSP and the simulated TDREPORT response.
Status CheckStatusAndSize(const u8* payload, usize len, u32 want_size) {
  if (len < sizeof(attest_proto::ReportResponseHeader)) {
    return Status(Err::kOutOfRange, "report response: shorter than its 32-byte header");
  }
  const u32 status = Load32(payload);
  if (status == attest_proto::kReportStatusInvalidParams) {
    return Status(Err::kInvalidArgument, "report response: secure processor says invalid params");
  }
  if (status == attest_proto::kReportStatusInvalidKeySel) {
    return Status(Err::kInvalidArgument, "report response: secure processor says invalid key");
  }
  if (status != attest_proto::kReportStatusSuccess) {
    return Status(Err::kHardware, "report response: secure processor reported an error");
  }
  if (Load32(payload + 4) != want_size) {
    return Status(Err::kInvalidArgument, "report response: report_size is not the expected size");
  }
  if (len < sizeof(attest_proto::ReportResponseHeader) + want_size) {
    return Status(Err::kOutOfRange, "report response: payload shorter than report_size");
  }
  return Status::Ok();
}

}  // namespace

void BuildReportRequest(const u8 report_data[kReportDataSize], u32 vmpl,
                        u8 out[sizeof(attest_proto::ReportRequest)]) {
  attest_proto::ReportRequest req;
  memset(&req, 0, sizeof(req));
  memcpy(req.user_data, report_data, kReportDataSize);
  req.vmpl = vmpl;
  req.key_sel = 0;
  memcpy(out, &req, sizeof(req));
}

Status ParseReportResponse(const u8* payload, usize len, const u8 report_data[kReportDataSize],
                           u32 vmpl, u8 report[attest_proto::kAttestationReportSize]) {
  PV_TRY(CheckStatusAndSize(payload, len, attest_proto::kAttestationReportSize));
  const u8* r = payload + sizeof(attest_proto::ReportResponseHeader);
  const u32 version = Load32(r + kSnpReportVersionOffset);
  if (version < 2) return Status(Err::kUnsupported, "report: version below 2");
  if (Load32(r + kSnpReportVmplOffset) != vmpl) {
    return Status(Err::kInvalidArgument, "report: VMPL differs from the request");
  }
  if (memcmp(r + kSnpReportDataOffset, report_data, kReportDataSize) != 0) {
    return Status(Err::kInvalidArgument, "report: REPORT_DATA differs from the request");
  }
  memcpy(report, r, attest_proto::kAttestationReportSize);
  return Status::Ok();
}

Status ParseTdReportResponse(const u8* payload, usize len, const u8 report_data[kReportDataSize],
                             u8 tdreport[attest_proto::kTdReportSize]) {
  PV_TRY(CheckStatusAndSize(payload, len, attest_proto::kTdReportSize));
  const u8* r = payload + sizeof(attest_proto::ReportResponseHeader);
  if (memcmp(r + kTdReportDataOffset, report_data, kReportDataSize) != 0) {
    return Status(Err::kInvalidArgument, "tdreport: REPORTDATA differs from the request");
  }
  memcpy(tdreport, r, attest_proto::kTdReportSize);
  return Status::Ok();
}

void BuildRtmrExtendRequest(u32 index, const u8 data[attest_proto::kRtmrSize],
                            u8 out[attest_proto::kRtmrExtendRequestSize]) {
  const u64 index64 = index;
  memcpy(out, &index64, 8);  // little-endian
  memcpy(out + 8, data, attest_proto::kRtmrSize);
}

Status ParseRtmrExtendResponse(const u8* payload, usize len, u8 value[attest_proto::kRtmrSize]) {
  PV_TRY(CheckStatusAndSize(payload, len, attest_proto::kRtmrSize));
  memcpy(value, payload + sizeof(attest_proto::ReportResponseHeader), attest_proto::kRtmrSize);
  return Status::Ok();
}

Result<usize> BuildQuoteBuffer(const u8 tdreport[attest_proto::kTdReportSize], u8* out, usize cap) {
  const usize total = sizeof(QuoteBufferHeader) + attest_proto::kTdReportSize;
  if (cap < total) return Status(Err::kOutOfRange, "quote buffer: smaller than a TDREPORT");
  QuoteBufferHeader h{kQuoteBufferVersion, kQuoteStatusInFlight, attest_proto::kTdReportSize, 0};
  memcpy(out, &h, sizeof(h));
  memcpy(out + sizeof(h), tdreport, attest_proto::kTdReportSize);
  return total;
}

Result<QuoteView> ParseQuoteBuffer(const u8* buffer, usize len) {
  // Quote v4 header: version u16 @0, att_key_type u16 @2, tee_type u32 @4 (48 bytes in all).
  constexpr usize kQuoteHeaderSize = 48;
  if (len < sizeof(QuoteBufferHeader)) {
    return Status(Err::kOutOfRange, "quote buffer: shorter than its 24-byte header");
  }
  QuoteBufferHeader h;
  memcpy(&h, buffer, sizeof(h));
  if (h.version != kQuoteBufferVersion) {
    return Status(Err::kUnsupported, "quote buffer: version is not 1");
  }
  if (h.status == kQuoteStatusInFlight) {
    return Status(Err::kHardware, "quote buffer: the host never completed the request");
  }
  if (h.status != kQuoteStatusSuccess) {
    return Status(Err::kHardware, "quote buffer: the quoting service reported an error");
  }
  if (h.out_len > len - sizeof(h)) {
    return Status(Err::kOutOfRange, "quote buffer: out_len runs past the buffer");
  }
  if (h.out_len < kQuoteHeaderSize) {
    return Status(Err::kOutOfRange, "quote buffer: quote shorter than a quote header");
  }
  const u8* q = buffer + sizeof(h);
  if (Load16(q) != 4 || Load16(q + 2) != 2 || Load32(q + 4) != 0x81) {
    return Status(Err::kInvalidArgument,
                  "quote buffer: not a TDX v4 ECDSA-P256 quote (version/key type/TEE type)");
  }
  return QuoteView{sizeof(h), h.out_len};
}

}  // namespace pv::attest
