// The paravisor's exit-proxy client (paravisor/proxy/exit_proxy.cpp, compiled for the host)
// against the real agent-side ExitProxyServer over the same shared-memory layout, and against a
// hostile "agent" that writes bad headers, bad indices and bad responses.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "exit_proxy_server.h"
#include "fblite/exit_codec.h"
#include "lib/log.h"
#include "proxy/exit_proxy.h"
#include "ring/spsc_ring.h"
#include "shared_region.h"

namespace pv {
// The firmware's log sink, captured for the assertions below.
std::string& CapturedLog() {
  static std::string text;
  return text;
}
void LogSinkWrite(const char* data, usize len) {
  CapturedLog().append(data, len);
}
}  // namespace pv

namespace pv::agent {
namespace {

uint64_t CyclesFor(std::chrono::milliseconds ms) {
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = __builtin_ia32_rdtsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const uint64_t c1 = __builtin_ia32_rdtsc();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<uint64_t>((c1 - c0) / s * ms.count() / 1000.0);
}

class RecordingSink : public ExitSink {
 public:
  void OnConsole(absl::string_view b) override {
    std::lock_guard<std::mutex> l(mu);
    console.append(b.data(), b.size());
  }
  void OnGuestStopped(uint32_t r, uint32_t c) override {
    stopped = true;
    code = c;
  }
  void OnStatistics(uint64_t t, uint64_t,
                    const std::vector<std::pair<uint32_t, uint64_t>>& c) override {
    total = t;
    counters = c.size();
  }
  void OnProxyError(const std::string&) override { ++errors; }
  std::mutex mu;
  std::string console;
  std::atomic<bool> stopped{false};
  std::atomic<uint32_t> code{0};
  std::atomic<uint64_t> total{0};
  std::atomic<size_t> counters{0};
  std::atomic<int> errors{0};
};

// A shared-memory file mapped twice: once as the agent's SharedRegion, once for the client.
class ProxyClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pv-proxy-client-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
    auto region = SharedRegion::Create(path_, 1);
    ASSERT_TRUE(region.ok()) << region.status();
    region_ = std::make_unique<SharedRegion>(std::move(*region));
    agent_eventfd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    transport_.shared = reinterpret_cast<u8*>(region_->header());
    transport_.shared_size = proxy::kSharedSize;
    transport_.doorbell = &doorbell_register_;
    transport_.timeout_cycles = CyclesFor(std::chrono::milliseconds(300));
    CapturedLog().clear();
  }
  void TearDown() override {
    stop_bridge_ = true;
    if (bridge_.joinable()) bridge_.join();
    proxy_client::Detach();
    if (server_) server_->Stop();
    server_.reset();
    close(agent_eventfd_);
    unlink(path_.c_str());
  }
  // Starts the real agent server on a second mapping of the same file.
  void StartAgent() {
    auto second = SharedRegion::Open(path_, 1);
    ASSERT_TRUE(second.ok()) << second.status();
    server_ = std::make_unique<ExitProxyServer>("test", std::move(*second), agent_eventfd_, -1,
                                                &sink_, false);
    server_->Start();
    // Stand-in for QEMU: a doorbell register write (counted in the header) signals the agent's
    // eventfd.
    bridge_ = std::thread([this] {
      uint32_t seen = 0;
      while (!stop_bridge_) {
        const uint32_t now =
            __atomic_load_n(&region_->header()->paravisor_doorbells.value, __ATOMIC_ACQUIRE);
        if (now != seen) {
          seen = now;
          uint64_t one = 1;
          (void)!write(agent_eventfd_, &one, sizeof(one));
        }
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    });
  }

  std::string path_;
  std::unique_ptr<SharedRegion> region_;
  int agent_eventfd_ = -1;
  volatile u32 doorbell_register_ = 0;
  proxy_client::Transport transport_;
  RecordingSink sink_;
  std::unique_ptr<ExitProxyServer> server_;
  std::thread bridge_;
  std::atomic<bool> stop_bridge_{false};
};

TEST_F(ProxyClientTest, AttachesToTheRealAgentAndForwardsIo) {
  StartAgent();
  ASSERT_TRUE(proxy_client::Attach(transport_).ok());
  EXPECT_TRUE(proxy_client::Attached());
  Result<u32> magic = proxy_client::ForwardIo(0x708, 4, false, 0);
  ASSERT_TRUE(magic.ok()) << magic.status().message();
  EXPECT_EQ(magic.value(), 0x44545650u);
  ASSERT_TRUE(proxy_client::ForwardIo(0x700, 4, true, 9).ok());
  EXPECT_EQ(proxy_client::ForwardIo(0x70c, 4, false, 0).value(), 10u);
  Result<u64> mmio = proxy_client::ForwardMmio(0xfeb00008, 4, false, 0);
  ASSERT_TRUE(mmio.ok());
  EXPECT_EQ(mmio.value(), 0x44545650u);
  // No device: the client reports a failure so the paravisor refuses the access.
  EXPECT_FALSE(proxy_client::ForwardIo(0x1234, 1, false, 0).ok());
  EXPECT_EQ(proxy_client::Stats().errors, 1u);
  EXPECT_EQ(proxy_client::Stats().timeouts, 0u);
}

TEST_F(ProxyClientTest, NotificationsReachTheAgent) {
  StartAgent();
  ASSERT_TRUE(proxy_client::Attach(transport_).ok());
  std::string long_line(1000, 'x');  // more than one slot: split into chunks
  long_line += "\n";
  proxy_client::SendConsole("hello\n", 6);
  proxy_client::SendConsole(long_line.data(), long_line.size());
  const u64 by_reason[3] = {5, 0, 7};
  proxy_client::NoteExitStats(12, by_reason, 3);
  proxy_client::SendLastStatistics();
  proxy_client::SendGuestStopped(0, 3);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!sink_.stopped && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(sink_.stopped);
  EXPECT_EQ(sink_.code, 3u);
  EXPECT_EQ(sink_.total, 12u);
  EXPECT_EQ(sink_.counters, 2u) << "zero counters are not sent";
  std::lock_guard<std::mutex> l(sink_.mu);
  EXPECT_EQ(sink_.console, "hello\n" + long_line);
}

TEST_F(ProxyClientTest, MalformedSelfTestPassesAgainstTheRealAgent) {
  StartAgent();
  ASSERT_TRUE(proxy_client::Attach(transport_).ok());
  Status st = proxy_client::RunMalformedSelfTest();
  EXPECT_TRUE(st.ok()) << st.message() << "\n" << CapturedLog();
  EXPECT_EQ(sink_.errors, 8);
}

TEST_F(ProxyClientTest, DoorbellIsRungOnlyWhileTheAgentSleeps) {
  // No agent thread: answer by hand so the flag is under the test's control.
  auto* ch = region_->channel(0);
  ch->request.control.consumer_polling.value = 1;  // "agent polling"
  std::thread fake_agent([&] {
    proxy::RingConsumer requests(&ch->request, 0);
    proxy::RingProducer responses(&ch->response, 0);
    alignas(8) uint8_t buf[proxy::kMaxMessageSize];
    alignas(8) uint8_t out[proxy::kMaxMessageSize];
    for (int answered = 0; answered < 2;) {
      uint32_t len;
      if (requests.Pop(buf, sizeof(buf), &len) != proxy::RingStatus::kOk) continue;
      proxy::DecodedMessage d;
      ASSERT_EQ(proxy::DecodeMessage(buf, len, sizeof(buf), &d), proxy::DecodeStatus::kOk);
      proxy::MessageEncoder e(out, sizeof(out));
      const uint32_t n = d.type == 1 ? e.VersionResponse(d.id, 0, 1) : e.IoResult(d.id, 0, 77);
      bool ring;
      responses.Push(out, n, &ring);
      ++answered;
      ch->request.control.consumer_polling.value = 0;  // now "asleep"
    }
  });
  ASSERT_TRUE(proxy_client::Attach(transport_).ok());
  EXPECT_EQ(proxy_client::Stats().doorbells, 0u) << "agent was polling: no doorbell";
  EXPECT_EQ(proxy_client::ForwardIo(0x700, 4, false, 0).value(), 77u);
  EXPECT_EQ(proxy_client::Stats().doorbells, 1u);
  EXPECT_EQ(doorbell_register_, proxy::IvshmemDoorbellValue(0, 0));
  fake_agent.join();
}

TEST_F(ProxyClientTest, RejectsABadHeader) {
  region_->header()->magic = 0x12345678;
  Status st = proxy_client::Attach(transport_);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("bad magic"), std::string::npos);
  EXPECT_FALSE(proxy_client::Attached());
  EXPECT_FALSE(proxy_client::ForwardIo(0x700, 4, false, 0).ok());
}

TEST_F(ProxyClientTest, RejectsForeignRingGeometry) {
  region_->header()->slot_size = 4096;
  EXPECT_FALSE(proxy_client::Attach(transport_).ok());
  region_->header()->slot_size = proxy::kSlotSize;
  region_->header()->vcpu_count = 99;
  EXPECT_FALSE(proxy_client::Attach(transport_).ok());
}

TEST_F(ProxyClientTest, AgentThatNeverAnswersTimesOut) {
  const auto t0 = std::chrono::steady_clock::now();
  Status st = proxy_client::Attach(transport_);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("did not answer"), std::string::npos);
  EXPECT_EQ(proxy_client::Stats().timeouts, 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(ProxyClientTest, HostileResponsesAreSkippedNotBelieved) {
  auto* ch = region_->channel(0);
  std::atomic<bool> done{false};
  std::thread hostile([&] {
    proxy::RingConsumer requests(&ch->request, 0);
    proxy::RingProducer responses(&ch->response, 0);
    alignas(8) uint8_t buf[proxy::kMaxMessageSize];
    alignas(8) uint8_t out[proxy::kMaxMessageSize];
    while (!done) {
      uint32_t len;
      if (requests.Pop(buf, sizeof(buf), &len) != proxy::RingStatus::kOk) continue;
      proxy::DecodedMessage d;
      proxy::DecodeMessage(buf, len, sizeof(buf), &d);
      bool ring;
      proxy::MessageEncoder e(out, sizeof(out));
      if (d.type == 1) {
        responses.Push(out, e.VersionResponse(d.id, 0, 1), &ring);
        continue;
      }
      // Garbage, then an answer to another id, then a slot claiming an impossible length:
      // none may be taken as the answer.
      uint8_t garbage[40];
      std::memset(garbage, 0x5a, sizeof(garbage));
      responses.Push(garbage, sizeof(garbage), &ring);
      responses.Push(out, e.IoResult(d.id + 1000, 0, 1), &ring);
      responses.PushClaimingLength(out, e.IoResult(d.id, 0, 2), 0xffffff, &ring);
    }
  });
  ASSERT_TRUE(proxy_client::Attach(transport_).ok());
  Result<u32> r = proxy_client::ForwardIo(0x700, 4, false, 0);
  done = true;
  hostile.join();
  EXPECT_FALSE(r.ok()) << "no valid answer was sent";
  EXPECT_EQ(proxy_client::Stats().rejected, 3u);
  EXPECT_EQ(proxy_client::Stats().timeouts, 1u);
}

TEST_F(ProxyClientTest, CorruptResponseIndexFailsTheRequest) {
  auto* ch = region_->channel(0);
  std::thread agent([&] {
    proxy::RingConsumer requests(&ch->request, 0);
    proxy::RingProducer responses(&ch->response, 0);
    alignas(8) uint8_t buf[proxy::kMaxMessageSize];
    alignas(8) uint8_t out[proxy::kMaxMessageSize];
    for (int n = 0; n < 2;) {
      uint32_t len;
      if (requests.Pop(buf, sizeof(buf), &len) != proxy::RingStatus::kOk) continue;
      ++n;
      proxy::DecodedMessage d;
      proxy::DecodeMessage(buf, len, sizeof(buf), &d);
      if (d.type == 1) {
        bool ring;
        proxy::MessageEncoder e(out, sizeof(out));
        responses.Push(out, e.VersionResponse(d.id, 0, 1), &ring);
      } else {
        __atomic_store_n(&ch->response.control.producer.value, 1000u, __ATOMIC_RELEASE);
      }
    }
  });
  ASSERT_TRUE(proxy_client::Attach(transport_).ok());
  Result<u32> r = proxy_client::ForwardIo(0x700, 4, false, 0);
  agent.join();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("corrupt"), std::string::npos);
}

}  // namespace
}  // namespace pv::agent
