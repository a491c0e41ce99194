// Host agent benchmark: one run, numbers side by side.
//
//   1. bare doorbell round trip: eventfd ping-pong between two threads (the floor for any
//      sleeping handoff between two host threads)
//   2. exit-proxy ring round trip on the host: the firmware codec + rings against the real
//      ExitProxyServer (agent polling, and agent sleeping on its doorbell eventfd)
//   3. exit-proxy round trip from a guest: guest IN -> paravisor -> ring -> pv-agent -> ring ->
//      paravisor -> guest, next to an exit the paravisor answers itself, in the same guest run
//   4. GetPartition unary gRPC latency against a real pv-agent
//   5. partitions created and started per second
//   6. agent memory (RSS) per running partition
//
// usage: agent_bench PV_AGENT FIRMWARE PROBE_GUEST TICKER_GUEST
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "exit_proxy_server.h"
#include "fblite/exit_codec.h"
#include "grpcpp/grpcpp.h"
#include "pv/v1/partition_manager.grpc.pb.h"
#include "ring/spsc_ring.h"
#include "shared_region.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Summary {
  double p50_ns = 0, p99_ns = 0, mean_ns = 0;
};

Summary Summarize(std::vector<double> ns) {
  Summary s;
  if (ns.empty()) return s;
  std::sort(ns.begin(), ns.end());
  s.p50_ns = ns[ns.size() / 2];
  s.p99_ns = ns[std::min(ns.size() - 1, ns.size() * 99 / 100)];
  double sum = 0;
  for (double v : ns) sum += v;
  s.mean_ns = sum / ns.size();
  return s;
}

void PrintRow(const std::string& name, const Summary& s, double baseline_p50) {
  std::printf("  %-52s p50 %10.1f us  p99 %10.1f us  (%6.1fx baseline)\n", name.c_str(),
              s.p50_ns / 1000, s.p99_ns / 1000, baseline_p50 > 0 ? s.p50_ns / baseline_p50 : 0);
}

// 1. eventfd ping-pong.
Summary BareDoorbell(int rounds) {
  int ping = eventfd(0, EFD_CLOEXEC), pong = eventfd(0, EFD_CLOEXEC);
  std::thread peer([&] {
    uint64_t v;
    for (int i = 0; i < rounds; ++i) {
      if (read(ping, &v, 8) != 8) return;
      v = 1;
      (void)!write(pong, &v, 8);
    }
  });
  std::vector<double> ns;
  uint64_t v = 1;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = Clock::now();
    v = 1;
    (void)!write(ping, &v, 8);
    (void)!read(pong, &v, 8);
    ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  peer.join();
  close(ping);
  close(pong);
  return Summarize(ns);
}

class NullSink : public pv::agent::ExitSink {
 public:
  void OnConsole(absl::string_view) override {}
  void OnGuestStopped(uint32_t, uint32_t) override {}
  void OnStatistics(uint64_t, uint64_t,
                    const std::vector<std::pair<uint32_t, uint64_t>>&) override {}
  void OnProxyError(const std::string& d) override {
    std::fprintf(stderr, "proxy error: %s\n", d.c_str());
  }
};

// 2. host-side ring round trip against the real ExitProxyServer.
Summary HostRingRoundTrip(int rounds, std::chrono::microseconds idle_spin) {
  char path[] = "/tmp/pv-agent-bench-XXXXXX";
  int tmp = mkstemp(path);
  close(tmp);
  auto region = pv::agent::SharedRegion::Create(path, 1);
  if (!region.ok()) {
    std::fprintf(stderr, "%s\n", region.status().ToString().c_str());
    return {};
  }
  pv::proxy::VcpuChannel* ch = region->channel(0);
  int agent_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  NullSink sink;
  pv::agent::ExitProxyServer server("bench", std::move(*region), agent_efd, -1, &sink, false,
                                    idle_spin);
  server.Start();
  pv::proxy::RingProducer requests(&ch->request, 0);
  pv::proxy::RingConsumer responses(&ch->response, 0);
  responses.SetPolling(true);
  alignas(8) uint8_t msg[pv::proxy::kMaxMessageSize];
  alignas(8) uint8_t reply[pv::proxy::kMaxMessageSize];
  auto round_trip = [&](uint64_t id, bool version) {
    pv::proxy::MessageEncoder e(msg, sizeof(msg));
    uint32_t n = version ? e.VersionRequest(id, 0, 1, 1, 1) : e.IoAccess(id, 0, 0x708, 4, false, 0);
    bool doorbell = false;
    while (requests.Push(msg, n, &doorbell) != pv::proxy::RingStatus::kOk) {
    }
    if (doorbell) {
      uint64_t one = 1;
      (void)!write(agent_efd, &one, 8);
    }
    uint32_t len = 0;
    while (responses.Pop(reply, sizeof(reply), &len) != pv::proxy::RingStatus::kOk) {
      __builtin_ia32_pause();
    }
    pv::proxy::DecodedMessage d;
    pv::proxy::DecodeMessage(reply, len, sizeof(reply), &d);
    return d.id == id;
  };
  round_trip(1, true);
  std::vector<double> ns;
  for (int i = 0; i < rounds; ++i) {
    if (idle_spin.count() == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    auto t0 = Clock::now();
    if (!round_trip(2 + i, false)) std::fprintf(stderr, "bench: wrong response id\n");
    ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  server.Stop();
  close(agent_efd);
  unlink(path);
  return Summarize(ns);
}

double TscHz() {
  auto t0 = Clock::now();
  uint64_t c0 = __builtin_ia32_rdtsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  uint64_t c1 = __builtin_ia32_rdtsc();
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return (c1 - c0) / s;
}

struct Agent {
  pid_t pid = 0;
  std::string dir, socket;
  std::unique_ptr<pv::v1::PartitionManager::Stub> stub;

  std::vector<std::string> image_dirs;

  // Agent CPU time (user + system) so far, in seconds.
  double CpuSeconds() const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    }
    return ticks / sysconf(_SC_CLK_TCK);
  }

  bool Launch(const std::string& binary) {
    char tmpl[] = "/tmp/pv-agent-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    socket = dir + "/agent.sock";
    pid = fork();
    if (pid == 0) {
      std::string log = dir + "/agent.log";
      FILE* f = freopen(log.c_str(), "w", stderr);
      (void)f;
      // PV_BENCH_OLD_AGENT=1: an agent from before --image-dir (for before/after numbers).
      if (getenv("PV_BENCH_OLD_AGENT") != nullptr) {
        execl(binary.c_str(), binary.c_str(), "--socket", socket.c_str(), "--state-dir",
              (dir + "/state").c_str(), nullptr);
      } else {
        execl(binary.c_str(), binary.c_str(), "--socket", socket.c_str(), "--state-dir",
              (dir + "/state").c_str(), "--image-dir", image_dirs[0].c_str(), "--image-dir",
              image_dirs[1].c_str(), nullptr);
      }
      _exit(127);
    }
    stub = pv::v1::PartitionManager::NewStub(
        grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 200; ++i) {
      grpc::ClientContext ctx;
      pv::v1::CapabilitiesResponse caps;
      if (stub->Capabilities(&ctx, {}, &caps).ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Stop() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st;
      waitpid(pid, &st, 0);
    }
    std::string cmd = "rm -rf '" + dir + "'";
    (void)!system(cmd.c_str());
  }
  long RssKiB() const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
  }
  grpc::Status Create(const std::string& name, const std::string& fw, const std::string& guest) {
    grpc::ClientContext ctx;
    pv::v1::CreatePartitionRequest req;
    req.mutable_spec()->set_name(name);
    req.mutable_spec()->set_firmware_path(fw);
    req.mutable_spec()->set_guest_image_path(guest);
    pv::v1::Partition p;
    return stub->CreatePartition(&ctx, req, &p);
  }
  grpc::Status Start(const std::string& name) {
    grpc::ClientContext ctx;
    pv::v1::StartPartitionRequest req;
    req.set_name(name);
    pv::v1::Partition p;
    return stub->StartPartition(&ctx, req, &p);
  }
  pv::v1::Partition Get(const std::string& name) {
    grpc::ClientContext ctx;
    pv::v1::GetPartitionRequest req;
    req.set_name(name);
    pv::v1::Partition p;
    (void)stub->GetPartition(&ctx, req, &p);
    return p;
  }
  std::string Console(const std::string& name) {
    grpc::ClientContext ctx;
    pv::v1::StreamConsoleRequest req;
    req.set_name(name);
    req.set_follow(true);
    auto reader = stub->StreamConsole(&ctx, req);
    std::string out;
    pv::v1::ConsoleChunk chunk;
    while (reader->Read(&chunk)) out += chunk.data();
    (void)reader->Finish();
    return out;
  }
  void StopAndDelete(const std::string& name) {
    grpc::ClientContext ctx;
    pv::v1::DeletePartitionRequest req;
    req.set_name(name);
    req.set_force(true);
    pv::v1::DeletePartitionResponse r;
    (void)stub->DeletePartition(&ctx, req, &r);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s PV_AGENT FIRMWARE PROBE_GUEST TICKER_GUEST\n", argv[0]);
    return 2;
  }
  const std::string agent_bin = argv[1], firmware = argv[2], probe = argv[3], ticker = argv[4];
  std::printf("host agent benchmark (%u CPUs online)\n\n", std::thread::hardware_concurrency());

  std::printf("exit-proxy round trips\n");
  const Summary bare = BareDoorbell(20000);
  PrintRow("bare doorbell: eventfd ping-pong, 2 threads", bare, bare.p50_ns);
  const Summary ring_poll = HostRingRoundTrip(20000, std::chrono::microseconds(200));
  PrintRow("host ring + flatbuffers + agent, agent polling", ring_poll, bare.p50_ns);
  const Summary ring_sleep = HostRingRoundTrip(2000, std::chrono::microseconds(0));
  PrintRow("host ring + flatbuffers + agent, agent woken by doorbell", ring_sleep, bare.p50_ns);

  Agent agent;
  agent.image_dirs = {firmware.substr(0, firmware.rfind('/')), probe.substr(0, probe.rfind('/'))};
  if (!agent.Launch(agent_bin)) {
    std::fprintf(stderr, "bench: pv-agent did not start\n");
    agent.Stop();
    return 1;
  }
  // 3. from the guest.
  const double tsc_hz = TscHz();
  bool probe_ok = agent.Create("probe", firmware, probe).ok() && agent.Start("probe").ok();
  std::string console = probe_ok ? agent.Console("probe") : "";
  std::smatch m;
  static const std::regex kProbe(
      "PROBE iters=0x([0-9a-f]+) proxied_cycles=0x([0-9a-f]+) local_cycles=0x([0-9a-f]+)");
  if (std::regex_search(console, m, kProbe)) {
    const double iters = std::stoull(m[1], nullptr, 16);
    const double proxied_ns = std::stoull(m[2], nullptr, 16) / iters / tsc_hz * 1e9;
    const double local_ns = std::stoull(m[3], nullptr, 16) / iters / tsc_hz * 1e9;
    std::printf("  %-52s mean %9.1f us  (%6.1fx baseline)\n",
                "guest IN -> paravisor -> agent -> guest (TCG)", proxied_ns / 1000,
                proxied_ns / bare.p50_ns);
    std::printf("  %-52s mean %9.1f us  (%6.1fx baseline)\n",
                "guest IN answered by the paravisor (TCG)", local_ns / 1000,
                local_ns / bare.p50_ns);
    std::printf("  %-52s %9.1f us per exit (%.0f exits, TSC %.2f GHz)\n", "=> exit proxy adds",
                (proxied_ns - local_ns) / 1000, iters, tsc_hz / 1e9);
  } else {
    std::printf("  guest round trip: probe output missing (console: %zu bytes)\n", console.size());
  }
  agent.StopAndDelete("probe");

  // 4. GetPartition latency.
  std::printf("\nmanagement API (gRPC over a Unix socket)\n");
  (void)agent.Create("idle", firmware, probe);
  std::vector<double> ns;
  for (int i = 0; i < 2000; ++i) {
    auto t0 = Clock::now();
    agent.Get("idle");
    ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  PrintRow("GetPartition unary call", Summarize(ns), bare.p50_ns);
  agent.StopAndDelete("idle");

  // 5. create + start rate (the probe guest ends by itself after ~1 s).
  constexpr int kBatch = 6;
  auto t0 = Clock::now();
  int started = 0;
  for (int i = 0; i < kBatch; ++i) {
    const std::string name = absl::StrCat("rate", i);
    if (agent.Create(name, firmware, probe).ok() && agent.Start(name).ok()) ++started;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("  %-52s %9.1f partitions/s (%d created+started in %.2f s)\n",
              "create + start until RUNNING", started / secs, started, secs);
  for (int i = 0; i < kBatch; ++i) agent.StopAndDelete(absl::StrCat("rate", i));

  // 6. memory per running partition.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long rss0 = agent.RssKiB();
  constexpr int kRunning = 4;
  for (int i = 0; i < kRunning; ++i) {
    const std::string name = absl::StrCat("mem", i);
    (void)agent.Create(name, firmware, ticker);
    (void)agent.Start(name);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const long rss1 = agent.RssKiB();
  std::printf(
      "\nagent memory\n  %-52s %9ld KiB, with %d running: %ld KiB => %.0f KiB per partition\n",
      "pv-agent RSS idle", rss0, kRunning, rss1, (rss1 - rss0) / double(kRunning));
  for (int i = 0; i < kRunning; ++i) agent.StopAndDelete(absl::StrCat("mem", i));

  // 7. Busy host: IO-heavy partitions (the ticker guest proxies reads of the test device
  // without pause). Agent CPU per partition, and GetPartition latency with 8 of them.
  std::printf("\nbusy host (ticker guests: proxied IN in a loop)\n");
  auto cpu_over = [&](double seconds) {
    const double c0 = agent.CpuSeconds();
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    return (agent.CpuSeconds() - c0) / std::chrono::duration<double>(Clock::now() - t0).count();
  };
  (void)agent.Create("busy0", firmware, ticker);
  (void)agent.Start("busy0");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const double one = cpu_over(5.0);
  std::printf("  %-52s %8.1f %% of a core\n", "agent CPU, 1 IO-heavy partition", one * 100);
  constexpr int kBusy = 8;
  for (int i = 1; i < kBusy; ++i) {
    const std::string name = absl::StrCat("busy", i);
    (void)agent.Create(name, firmware, ticker);
    (void)agent.Start(name);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const double eight = cpu_over(5.0);
  std::printf("  %-52s %8.1f %% of a core (%.1f %% per partition)\n",
              "agent CPU, 8 IO-heavy partitions", eight * 100, eight * 100 / kBusy);
  std::vector<double> busy_ns;
  for (int i = 0; i < 2000; ++i) {
    auto t0 = Clock::now();
    agent.Get(absl::StrCat("busy", i % kBusy));
    busy_ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  PrintRow("GetPartition, 8 IO-heavy partitions running", Summarize(busy_ns), bare.p50_ns);
  for (int i = 0; i < kBusy; ++i) agent.StopAndDelete(absl::StrCat("busy", i));
  agent.Stop();
  return 0;
}
