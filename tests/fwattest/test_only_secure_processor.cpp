#include "test_only_secure_processor.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace pv::testing_attest {
namespace {

constexpr uint8_t kReportReq = 5;
constexpr uint8_t kSimTdReportReq = 0xE0;

void Put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

std::vector<uint8_t> TestOnlySecureProcessor::last_report_data() {
  absl::MutexLock lock(&mu_);
  return last_report_data_;
}

absl::StatusOr<std::vector<uint8_t>> TestOnlySecureProcessor::GuestRequest(
    std::span<const uint8_t> message) {
  ++requests_;
  absl::MutexLock lock(&mu_);
  absl::StatusOr<OpenedMessage> req = OpenMessage(key_, message);
  if (!req.ok()) {
    ++refused_;
    return req.status();
  }
  if (req->seqno != last_seqno_ + 1) {
    ++refused_;
    return absl::PermissionDeniedError(
        absl::StrCat("request sequence number ", req->seqno, ", expected ", last_seqno_ + 1));
  }
  std::vector<uint8_t> payload;
  if (req->type == kReportReq && req->payload.size() == 96) {
    payload.assign(0x20 + 1184, 0);
    Put32(payload, 4, 1184);
    uint8_t* report = payload.data() + 0x20;
    report[0] = 5;                                              // version
    std::memcpy(report + 0x30, req->payload.data() + 0x40, 4);  // vmpl
    std::memcpy(report + 0x50, req->payload.data(), 64);        // REPORT_DATA
    std::memset(report + 0x90, 0x11, 48);                       // MEASUREMENT (test pattern)
    last_report_data_.assign(req->payload.begin(), req->payload.begin() + 64);
  } else if (req->type == kSimTdReportReq && req->payload.size() == 64) {
    payload.assign(0x20 + 1024, 0);
    Put32(payload, 4, 1024);
    payload[0x20] = 0x81;  // REPORTTYPE.type = TDX
    std::memcpy(payload.data() + 0x20 + 128, req->payload.data(), 64);
    last_report_data_ = req->payload;
  } else {
    payload.assign(0x20, 0);
    Put32(payload, 0, 0x16);  // invalid parameters
  }
  const uint64_t response_seqno = req->seqno + 1;
  std::vector<uint8_t> response;
  const bool misbehave = misbehaviour_ != Misbehaviour::kNone && good_left_ <= 0;
  if (good_left_ > 0) --good_left_;
  response = SealMessage(
      key_,
      misbehave && misbehaviour_ == Misbehaviour::kWrongSeqno ? response_seqno + 2 : response_seqno,
      static_cast<uint8_t>(req->type + 1), req->vmpck, payload);
  last_seqno_ = response_seqno;
  if (misbehave) {
    switch (misbehaviour_) {
      case Misbehaviour::kFlipHeaderBit:
        response[0x3d] ^= 0x01;
        break;
      case Misbehaviour::kFlipPayloadBit:
        response[0x60 + 40] ^= 0x80;
        break;
      case Misbehaviour::kFlipTagBit:
        response[3] ^= 0x10;
        break;
      case Misbehaviour::kReplay:
        if (!previous_response_.empty()) response = previous_response_;
        break;
      case Misbehaviour::kWrongSeqno:
      case Misbehaviour::kNone:
        break;
    }
  }
  previous_response_ = response;
  return response;
}

absl::StatusOr<std::vector<uint8_t>> TestOnlySecureProcessor::GetQuote(
    std::span<const uint8_t> tdreport) {
  ++quotes_;
  if (tdreport.size() != 1024) return absl::InvalidArgumentError("TDREPORT must be 1024 bytes");
  // Quote-shaped: v4 header (version 4, ECDSA-P256 key type 2, TEE type 0x81), then the TDREPORT
  // as the "body" and no signature: unsigned, for transport tests only.
  std::vector<uint8_t> quote(48 + 1024 + 5000, 0);
  quote[0] = 4;
  quote[2] = 2;
  quote[4] = 0x81;
  std::memcpy(quote.data() + 48, tdreport.data(), 1024);
  for (size_t i = 48 + 1024; i < quote.size(); ++i) quote[i] = static_cast<uint8_t>(i);
  return quote;
}

}  // namespace pv::testing_attest
