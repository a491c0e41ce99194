// The agent's handling of exit-proxy messages: negotiation, device models, notifications, and
// the answers to malformed, unknown and misdirected messages (always an Error, never silence).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "device_models.h"
#include "exit_handler.h"
#include "exit_proxy_generated.h"
#include "fblite/exit_codec.h"
#include "ring/ring_layout.h"

namespace pv::agent {
namespace {

namespace fb = pv::proxy::fb;
using proxy::MessageEncoder;

class RecordingSink : public ExitSink {
 public:
  void OnConsole(absl::string_view bytes) override { console.append(bytes.data(), bytes.size()); }
  void OnGuestStopped(uint32_t r, uint32_t c) override {
    stopped = true;
    reason = r;
    code = c;
  }
  void OnStatistics(uint64_t t, uint64_t p,
                    const std::vector<std::pair<uint32_t, uint64_t>>& c) override {
    total = t;
    counters = c;
  }
  void OnProxyError(const std::string& detail) override { errors.push_back(detail); }

  std::string console;
  bool stopped = false;
  uint32_t reason = 0, code = 0;
  uint64_t total = 0;
  std::vector<std::pair<uint32_t, uint64_t>> counters;
  std::vector<std::string> errors;
};

class ExitHandlerTest : public ::testing::Test {
 protected:
  ExitHandlerTest()
      : bus_(MakeStandardDeviceBus([this](absl::string_view b) { sink_.OnConsole(b); })),
        handler_(&bus_, &sink_) {}

  template <typename F>
  std::vector<uint8_t> Send(F encode, uint32_t ring_vcpu = 0) {
    alignas(8) uint8_t buf[proxy::kMaxMessageSize];
    MessageEncoder e(buf, sizeof(buf));
    const uint32_t n = encode(e);
    EXPECT_GT(n, 0u);
    return handler_.Handle(buf, n, ring_vcpu);
  }
  static const fb::Message* Parse(const std::vector<uint8_t>& response) {
    flatbuffers::Verifier verifier(response.data(), response.size());
    EXPECT_TRUE(fb::VerifyMessageBuffer(verifier));
    return fb::GetMessage(response.data());
  }
  void Negotiate() {
    auto r = Send([](MessageEncoder& e) { return e.VersionRequest(1, 0, 1, 1, 1); });
    ASSERT_EQ(Parse(r)->body_type(), fb::Body::VersionResponse);
  }

  RecordingSink sink_;
  DeviceBus bus_;
  ExitHandler handler_;
};

TEST_F(ExitHandlerTest, RequestsBeforeNegotiationAreRefused) {
  auto r = Send([](MessageEncoder& e) { return e.IoAccess(5, 0, 0x700, 4, false, 0); });
  const fb::Message* m = Parse(r);
  EXPECT_EQ(m->id(), 5u);
  ASSERT_EQ(m->body_type(), fb::Body::Error);
  EXPECT_EQ(m->body_as_Error()->code(), fb::ErrorCode::NotNegotiated);
}

TEST_F(ExitHandlerTest, VersionOutsideTheAgentsRangeIsAMismatch) {
  auto r = Send([](MessageEncoder& e) { return e.VersionRequest(1, 0, 2, 9, 1); });
  ASSERT_EQ(Parse(r)->body_type(), fb::Body::Error);
  EXPECT_EQ(Parse(r)->body_as_Error()->code(), fb::ErrorCode::VersionMismatch);
  EXPECT_FALSE(handler_.negotiated());
}

TEST_F(ExitHandlerTest, TestDeviceOverIoAndMmio) {
  Negotiate();
  auto r = Send([](MessageEncoder& e) { return e.IoAccess(2, 0, 0x708, 4, false, 0); });
  ASSERT_EQ(Parse(r)->body_type(), fb::Body::IoResult);
  EXPECT_EQ(Parse(r)->id(), 2u);
  EXPECT_EQ(Parse(r)->body_as_IoResult()->value(), kTestDeviceMagic);
  Send([](MessageEncoder& e) { return e.IoAccess(3, 0, 0x700, 4, true, 41); });
  r = Send([](MessageEncoder& e) { return e.MmioAccess(4, 0, 0xfeb0000c, 4, false, 0); });
  ASSERT_EQ(Parse(r)->body_type(), fb::Body::MmioResult);
  EXPECT_EQ(Parse(r)->body_as_MmioResult()->value(), 42u) << "scratch + 1";
  EXPECT_EQ(handler_.counters().round_trips, 4u);
}

TEST_F(ExitHandlerTest, UnclaimedPortAndStraddlingAccessAreNoDevice) {
  Negotiate();
  for (auto encode : {+[](MessageEncoder& e) { return e.IoAccess(1, 0, 0x1234, 1, false, 0); },
                      +[](MessageEncoder& e) { return e.IoAccess(1, 0, 0x70e, 4, false, 0); },
                      +[](MessageEncoder& e) { return e.MmioAccess(1, 0, 0x1000, 4, false, 0); }}) {
    auto r = Send(encode);
    ASSERT_EQ(Parse(r)->body_type(), fb::Body::Error);
    EXPECT_EQ(Parse(r)->body_as_Error()->code(), fb::ErrorCode::NoDevice);
  }
}

TEST_F(ExitHandlerTest, ConsoleDeviceAndConsoleMessagesReachTheSink) {
  Negotiate();
  auto r = Send([](MessageEncoder& e) { return e.IoAccess(1, 0, 0x2f8, 1, true, 'A'); });
  EXPECT_EQ(Parse(r)->body_type(), fb::Body::IoResult);
  r = Send([](MessageEncoder& e) { return e.ConsoleOutput(2, 0, "line\n", 5); });
  EXPECT_TRUE(r.empty()) << "notifications get no response";
  EXPECT_EQ(sink_.console, "Aline\n");
}

TEST_F(ExitHandlerTest, GuestStoppedAndStatisticsAreRecorded) {
  Negotiate();
  EXPECT_TRUE(Send([](MessageEncoder& e) {
                return e.GuestStopped(1, 0, proxy::StopReason::kExited, 3);
              }).empty());
  EXPECT_TRUE(sink_.stopped);
  EXPECT_EQ(sink_.code, 3u);
  const uint32_t reasons[] = {0x72};
  const uint64_t counts[] = {9};
  EXPECT_TRUE(Send([&](MessageEncoder& e) {
                return e.Statistics(2, 0, 9, 0, reasons, counts, 1);
              }).empty());
  EXPECT_EQ(sink_.total, 9u);
  ASSERT_EQ(sink_.counters.size(), 1u);
  EXPECT_EQ(sink_.counters[0].second, 9u);
}

TEST_F(ExitHandlerTest, UnknownTypeIsAnsweredWithAnError) {
  Negotiate();
  auto r = Send([](MessageEncoder& e) { return e.RawEmpty(77, 0, 99); });
  const fb::Message* m = Parse(r);
  EXPECT_EQ(m->id(), 77u);
  ASSERT_EQ(m->body_type(), fb::Body::Error);
  EXPECT_EQ(m->body_as_Error()->code(), fb::ErrorCode::UnknownType);
  ASSERT_EQ(sink_.errors.size(), 1u);
  EXPECT_NE(sink_.errors[0].find("unknown message type 99"), std::string::npos);
}

TEST_F(ExitHandlerTest, ResponseTypesSentToTheAgentAreUnexpected) {
  Negotiate();
  auto r = Send([](MessageEncoder& e) { return e.IoResult(8, 0, 1); });
  EXPECT_EQ(Parse(r)->body_as_Error()->code(), fb::ErrorCode::UnexpectedType);
}

TEST_F(ExitHandlerTest, VcpuFieldMustMatchTheRing) {
  Negotiate();
  auto r = Send([](MessageEncoder& e) { return e.IoAccess(1, 5, 0x700, 4, false, 0); }, 0);
  EXPECT_EQ(Parse(r)->body_as_Error()->code(), fb::ErrorCode::Malformed);
}

TEST_F(ExitHandlerTest, BadSizesAndGarbageAreMalformed) {
  Negotiate();
  auto r = Send([](MessageEncoder& e) { return e.IoAccess(1, 0, 0x700, 3, false, 0); });
  EXPECT_EQ(Parse(r)->body_as_Error()->code(), fb::ErrorCode::Malformed);
  alignas(8) uint8_t garbage[64];
  std::memset(garbage, 0xa5, sizeof(garbage));
  r = handler_.Handle(garbage, sizeof(garbage), 0);
  EXPECT_EQ(Parse(r)->body_as_Error()->code(), fb::ErrorCode::Malformed);
  r = handler_.Handle(garbage, proxy::kMaxMessageSize + 1, 0);
  EXPECT_EQ(Parse(r)->body_as_Error()->code(), fb::ErrorCode::Malformed);
  EXPECT_EQ(handler_.counters().errors, 3u);
}

TEST_F(ExitHandlerTest, AttestationIsUnsupportedUntilAServiceExists) {
  Negotiate();
  auto r = Send([](MessageEncoder& e) { return e.AttestationRequest(1, 0, "x", 1); });
  EXPECT_EQ(Parse(r)->body_as_Error()->code(), fb::ErrorCode::Unsupported);
}

}  // namespace
}  // namespace pv::agent
