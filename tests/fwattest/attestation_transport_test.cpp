// The attestation extension of the exit-proxy protocol: the firmware codec's bulk fields against
// flatc and the official Verifier (both directions), and the agent's relay (ExitHandler with a
// bulk area and the test-only backend): ranges, kinds, sizes, the one copy, the mailbox.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "evidence_mailbox.h"
#include "exit_handler.h"
#include "exit_proxy_generated.h"
#include "fblite/exit_codec.h"
#include "flatbuffers/flatbuffers.h"
#include "openssl_snp_envelope.h"
#include "ring/ring_layout.h"
#include "test_only_secure_processor.h"

namespace pv::agent {
namespace {

namespace fb = pv::proxy::fb;
using proxy::AttestationBulk;
using proxy::AttestationKind;
using proxy::DecodedMessage;
using proxy::MessageEncoder;

struct alignas(8) Buffer {
  uint8_t bytes[proxy::kMaxMessageSize];
};

TEST(AttestationCodecTest, FirmwareRequestVerifiesWithFlatc) {
  Buffer b;
  AttestationBulk a{AttestationKind::kGetQuote, 0x81000, 1048, 7, -5};
  const uint32_t n = MessageEncoder(b.bytes, sizeof(b.bytes)).AttestationBulkRequest(9, 0, a);
  ASSERT_GT(n, 0u);
  flatbuffers::Verifier v(b.bytes, n);
  ASSERT_TRUE(fb::VerifyMessageBuffer(v));
  const fb::AttestationRequest* r = fb::GetMessage(b.bytes)->body_as_AttestationRequest();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->kind(), fb::AttestationKind::GetQuote);
  EXPECT_EQ(r->bulk_offset(), 0x81000u);
  EXPECT_EQ(r->bulk_length(), 1048u);
  EXPECT_EQ(r->agent_request(), 7u);
  EXPECT_EQ(r->status(), -5);
  EXPECT_EQ(r->payload(), nullptr);
  // And the firmware decoder reads its own encoding back.
  DecodedMessage d;
  ASSERT_EQ(proxy::DecodeMessage(b.bytes, n, sizeof(b.bytes), &d), proxy::DecodeStatus::kOk);
  EXPECT_EQ(d.attestation_kind, 2);
  EXPECT_EQ(d.attestation_status, -5);
}

TEST(AttestationCodecTest, FlatcResponseDecodesInFirmware) {
  flatbuffers::FlatBufferBuilder fbb;
  auto body =
      fb::CreateAttestationResponse(fbb, 0, fb::AttestationKind::GuestRequest, 0x84000, 4000);
  fbb.Finish(fb::CreateMessage(fbb, 3, 0, fb::Body::AttestationResponse, body.Union()), "PVXP");
  alignas(8) uint8_t copy[proxy::kMaxMessageSize];
  ASSERT_LE(fbb.GetSize(), sizeof(copy));
  std::memcpy(copy, fbb.GetBufferPointer(), fbb.GetSize());
  DecodedMessage d;
  ASSERT_EQ(proxy::DecodeMessage(copy, fbb.GetSize(), sizeof(copy), &d), proxy::DecodeStatus::kOk);
  EXPECT_EQ(d.attestation_kind, 1);
  EXPECT_EQ(d.bulk_offset, 0x84000u);
  EXPECT_EQ(d.bulk_length, 4000u);
  // A legacy inline response (no appended fields) reads as Opaque with no bulk data.
  flatbuffers::FlatBufferBuilder old;
  auto payload = old.CreateVector(std::vector<uint8_t>{1, 2});
  auto legacy = fb::CreateAttestationResponse(old, payload);
  old.Finish(fb::CreateMessage(old, 4, 0, fb::Body::AttestationResponse, legacy.Union()), "PVXP");
  std::memcpy(copy, old.GetBufferPointer(), old.GetSize());
  ASSERT_EQ(proxy::DecodeMessage(copy, old.GetSize(), sizeof(copy), &d), proxy::DecodeStatus::kOk);
  EXPECT_EQ(d.attestation_kind, 0);
  EXPECT_EQ(d.byte_count, 2u);
}

TEST(AttestationCodecTest, RangeCheck) {
  const uint64_t area = proxy::BulkRequestOffset(1);
  EXPECT_TRUE(proxy::BulkRangeInside(area, proxy::kBulkRequestSize, area, proxy::kBulkRequestSize));
  EXPECT_FALSE(proxy::BulkRangeInside(area - 1, 10, area, proxy::kBulkRequestSize));
  EXPECT_FALSE(
      proxy::BulkRangeInside(area + 1, proxy::kBulkRequestSize, area, proxy::kBulkRequestSize));
  EXPECT_FALSE(
      proxy::BulkRangeInside(area + 8, 0xffffffffffffff00ull, area, proxy::kBulkRequestSize));
}

class NullSink : public ExitSink {
 public:
  void OnConsole(absl::string_view) override {}
  void OnGuestStopped(uint32_t, uint32_t) override {}
  void OnStatistics(uint64_t, uint64_t,
                    const std::vector<std::pair<uint32_t, uint64_t>>&) override {}
  void OnProxyError(const std::string& detail) override { errors.push_back(detail); }
  std::vector<std::string> errors;
};

class RelayTest : public ::testing::Test {
 protected:
  RelayTest()
      : shared_(proxy::kSharedSize, 0),
        mailbox_(shared_.data() + proxy::BulkAreaOf(0)),
        handler_(&bus_, &sink_) {}

  void Route(AttestationBackend* backend) {
    handler_.set_negotiated(true);
    handler_.set_attestation(
        AttestationRoute{shared_.data(), proxy::kSharedSize, backend, &mailbox_});
  }
  const fb::Message* Send(AttestationKind kind, uint64_t offset, uint32_t length, uint32_t vcpu = 0,
                          uint32_t agent_request = 0) {
    Buffer b;
    AttestationBulk a{kind, static_cast<uint32_t>(offset), length, agent_request, 0};
    const uint32_t n = MessageEncoder(b.bytes, sizeof(b.bytes)).AttestationBulkRequest(5, vcpu, a);
    reply_ = handler_.Handle(b.bytes, n, vcpu);
    flatbuffers::Verifier v(reply_.data(), reply_.size());
    EXPECT_TRUE(fb::VerifyMessageBuffer(v));
    return fb::GetMessage(reply_.data());
  }
  uint8_t* RequestArea(uint32_t vcpu = 0) {
    return shared_.data() + proxy::BulkRequestOffset(vcpu);
  }

  std::vector<uint8_t> shared_;
  EvidenceMailbox mailbox_;
  DeviceBus bus_;
  NullSink sink_;
  ExitHandler handler_;
  std::vector<uint8_t> reply_;
  testing_attest::Key key_{7, 7, 7};
};

TEST_F(RelayTest, NoBackendIsUnsupported) {
  Route(nullptr);
  const fb::Message* m = Send(AttestationKind::kGuestRequest, proxy::BulkRequestOffset(0), 200);
  ASSERT_EQ(m->body_type(), fb::Body::Error);
  EXPECT_EQ(m->body_as_Error()->code(), fb::ErrorCode::Unsupported);
}

TEST_F(RelayTest, GuestRequestGoesToTheBackendAndBackThroughTheBulkArea) {
  testing_attest::TestOnlySecureProcessor sp(key_, testing_attest::Misbehaviour::kNone, 0);
  Route(&sp);
  std::vector<uint8_t> payload(96, 0);
  payload[0] = 0xee;
  const auto req = testing_attest::SealMessage(key_, 1, 5, 0, payload);
  std::memcpy(RequestArea(), req.data(), req.size());
  const fb::Message* m = Send(AttestationKind::kGuestRequest, proxy::BulkRequestOffset(0),
                              static_cast<uint32_t>(req.size()));
  ASSERT_EQ(m->body_type(), fb::Body::AttestationResponse) << sink_.errors.back();
  const auto* r = m->body_as_AttestationResponse();
  EXPECT_EQ(r->kind(), fb::AttestationKind::GuestRequest);
  EXPECT_EQ(r->bulk_offset(), proxy::BulkResponseOffset(0));
  auto opened = testing_attest::OpenMessage(
      key_, std::span<const uint8_t>(shared_.data() + r->bulk_offset(), r->bulk_length()));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->seqno, 2u);
  EXPECT_EQ(opened->type, 6);
  EXPECT_EQ(opened->payload[0x20 + 0x50], 0xee);  // REPORT_DATA
}

TEST_F(RelayTest, BytesOutsideTheSendersAreaAreMalformed) {
  testing_attest::TestOnlySecureProcessor sp(key_, testing_attest::Misbehaviour::kNone, 0);
  Route(&sp);
  struct Case {
    uint64_t offset;
    uint32_t length;
  } cases[] = {
      {proxy::BulkResponseOffset(0), 200},                                // the agent's own area
      {proxy::BulkRequestOffset(1), 200},                                 // another vCPU's area
      {proxy::BulkRequestOffset(0) + proxy::kBulkRequestSize - 10, 200},  // runs past it
      {0, 200},                                                           // the header page
  };
  for (const Case& c : cases) {
    const fb::Message* m = Send(AttestationKind::kGuestRequest, c.offset, c.length);
    ASSERT_EQ(m->body_type(), fb::Body::Error);
    EXPECT_EQ(m->body_as_Error()->code(), fb::ErrorCode::Malformed);
  }
  EXPECT_EQ(sp.requests(), 0);
  // Unknown kinds, and the opaque kind, never reach the backend either.
  const fb::Message* m = Send(static_cast<AttestationKind>(9), proxy::BulkRequestOffset(0), 100);
  EXPECT_EQ(m->body_as_Error()->code(), fb::ErrorCode::Malformed);
  m = Send(AttestationKind::kOpaque, proxy::BulkRequestOffset(0), 100);
  EXPECT_EQ(m->body_as_Error()->code(), fb::ErrorCode::Unsupported);
  // A guest message shorter than its header.
  m = Send(AttestationKind::kGuestRequest, proxy::BulkRequestOffset(0), 95);
  EXPECT_EQ(m->body_as_Error()->code(), fb::ErrorCode::Malformed);
  EXPECT_EQ(sp.requests(), 0);
}

TEST_F(RelayTest, GetQuoteReturnsAQuoteBufferLargerThanASlot) {
  testing_attest::TestOnlySecureProcessor sp(key_, testing_attest::Misbehaviour::kNone, 0);
  Route(&sp);
  uint8_t* area = RequestArea();
  const uint64_t version = 1, in_flight = ~0ull;
  const uint32_t in_len = 1024, out_len = 0;
  std::memcpy(area, &version, 8);
  std::memcpy(area + 8, &in_flight, 8);
  std::memcpy(area + 16, &in_len, 4);
  std::memcpy(area + 20, &out_len, 4);
  area[24 + 128] = 0x42;
  const fb::Message* m = Send(AttestationKind::kGetQuote, proxy::BulkRequestOffset(0), 24 + 1024);
  ASSERT_EQ(m->body_type(), fb::Body::AttestationResponse);
  const auto* r = m->body_as_AttestationResponse();
  EXPECT_GT(r->bulk_length(), proxy::kMaxMessageSize);
  const uint8_t* q = shared_.data() + r->bulk_offset();
  uint64_t status;
  std::memcpy(&status, q + 8, 8);
  EXPECT_EQ(status, 0u);
  EXPECT_EQ(q[24], 4);                // quote version
  EXPECT_EQ(q[24 + 48 + 128], 0x42);  // the TDREPORT's REPORTDATA inside
  // in_len other than 1024 is refused.
  const uint32_t bad = 1000;
  std::memcpy(area + 16, &bad, 4);
  m = Send(AttestationKind::kGetQuote, proxy::BulkRequestOffset(0), 24 + 1024);
  EXPECT_EQ(m->body_as_Error()->code(), fb::ErrorCode::Malformed);
}

TEST_F(RelayTest, AgentEvidenceReachesTheWaitingFetch) {
  Route(nullptr);  // the mailbox works without a backend
  std::vector<uint8_t> report_data(64, 0x77);
  std::thread paravisor([&] {
    auto* control =
        reinterpret_cast<proxy::AgentEvidenceControl*>(shared_.data() + proxy::BulkAreaOf(0));
    uint32_t seq = 0;
    for (int i = 0; i < 5000 && seq == 0; ++i) {
      seq = __atomic_load_n(&control->evidence_request.value, __ATOMIC_ACQUIRE);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(control->report_data[10], 0x77);
    std::memset(RequestArea(), 0xcd, 1184);
    Send(AttestationKind::kAgentEvidence, proxy::BulkRequestOffset(0), 1184, 0, seq);
  });
  absl::StatusOr<std::vector<uint8_t>> got =
      mailbox_.Fetch(report_data, std::chrono::milliseconds(5000));
  paravisor.join();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), 1184u);
  EXPECT_EQ((*got)[0], 0xcd);
  // Nobody answers: a clear deadline error. Wrong-sized REPORT_DATA: refused at once.
  EXPECT_EQ(mailbox_.Fetch(report_data, std::chrono::milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(mailbox_.Fetch(std::vector<uint8_t>(63), std::chrono::milliseconds(50)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pv::agent
