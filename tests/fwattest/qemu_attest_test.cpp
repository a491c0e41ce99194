// QEMU runs of the real paravisor (production image) with the agent's real exit-proxy side
// (SharedRegion, IvshmemServer, QMP, ExitProxyServer + ExitHandler) and the TEST-ONLY secure
// processor as its AttestationBackend: the guest-message client, the bulk transport and the
// relay, end to end. The secrets page is generated here and placed by QEMU's generic loader at
// 0x8F000. Integrating the real simulated secure processor (attest/simsp) is the next step.
//
// Environment (tests/fwattest/CMakeLists.txt): PV_BUILD_DIR (see Env below).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "exit_proxy_server.h"
#include "file_util.h"
#include "ivshmem_server.h"
#include "qemu_process.h"
#include "qmp_client.h"
#include "shared_region.h"
#include "test_only_secure_processor.h"
#include "unix_socket.h"

namespace pv::testing_attest {
namespace {

using agent::ExitProxyServer;
using agent::ExitSink;

// Paths under the build tree (PV_BUILD_DIR, set by ctest); each can be overridden by its own
// variable (PV_FIRMWARE, PV_TEST_FIRMWARE, PV_GUEST_DIR, PV_FWATTEST_GUEST_DIR).
std::string Env(const char* name) {
  if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return v;
  const char* b = std::getenv("PV_BUILD_DIR");
  const std::string build = b == nullptr ? "." : b;
  const std::string n = name;
  if (n == "PV_FIRMWARE") return build + "/paravisor/paravisor.elf";
  if (n == "PV_TEST_FIRMWARE") return build + "/paravisor/paravisor-test.elf";
  if (n == "PV_GUEST_DIR") return build + "/paravisor/guests";
  if (n == "PV_FWATTEST_GUEST_DIR") return build + "/tests/fwattest/guests";
  return "";
}

class CollectingSink : public ExitSink {
 public:
  void OnConsole(absl::string_view) override {}
  void OnGuestStopped(uint32_t, uint32_t code) override { guest_code = static_cast<int>(code); }
  void OnStatistics(uint64_t, uint64_t,
                    const std::vector<std::pair<uint32_t, uint64_t>>&) override {}
  void OnProxyError(const std::string& detail) override { errors.push_back(detail); }
  int guest_code = -1;
  std::vector<std::string> errors;
};

Key TestKey() {
  Key k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(0x91 ^ (i * 13));
  return k;
}

// SeaBIOS (QEMU -kernel) zeroes the contract's 0x8F000 during POST, so these runs place the
// page high in RAM and tell the paravisor with secrets_gpa=. A measured launch without SeaBIOS
// uses 0x8F000.
constexpr char kSecretsGpa[] = "0xC000000";

constexpr int kQemuPassStatus = 33;  // isa-debug-exit: PV-RESULT PASS

struct PartitionRun {
  std::string firmware_log;
  int qemu_status = -1;
};

// One partition: QEMU with the paravisor, `module` as its guest, the paravisor command line
// `cmdline`; `during` runs (on the test thread) while the partition is up.
PartitionRun RunPartition(const std::string& firmware, const std::string& module,
                          const std::string& cmdline, agent::AttestationBackend* backend,
                          const std::function<void(ExitProxyServer&)>& during = nullptr) {
  PartitionRun run;
  char tmpl[] = "/tmp/pv-fwattest-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const Key key = TestKey();
  {
    std::vector<uint8_t> page(4096, 0);
    page[0] = 3;  // secrets page layout version
    std::copy(key.begin(), key.end(), page.begin() + 0x20);
    std::ofstream(dir + "/secrets.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(page.data()), page.size());
  }
  auto region = agent::SharedRegion::Create(dir + "/shared.mem", 1);
  EXPECT_TRUE(region.ok()) << region.status();
  agent::UniqueFd qemu_ivshmem_end;
  auto ivshmem = agent::IvshmemServer::Pair(&qemu_ivshmem_end);
  EXPECT_TRUE(ivshmem.ok()) << ivshmem.status();
  if (!region.ok() || !ivshmem.ok()) return run;
  // The agent's own QEMU command line for this partition, plus the secrets page.
  pv::v1::Partition record;
  record.set_uuid("00000000-0000-4000-8000-00000000f0a7");
  pv::v1::PartitionSpec* spec = record.mutable_spec();
  spec->set_name("fwattest");
  spec->set_memory_mib(256);
  spec->set_vcpus(1);
  spec->set_firmware_path(firmware);
  const size_t space = module.find(' ');
  spec->set_guest_image_path(module.substr(0, space));
  if (space != std::string::npos) spec->set_guest_cmdline(module.substr(space + 1));
  spec->set_firmware_cmdline("secrets_gpa=" + std::string(kSecretsGpa) + " " + cmdline);
  const agent::QemuPaths paths{"qemu-system-x86_64", dir + "/firmware.log", dir + "/qemu.log",
                               dir + "/qmp.sock", ""};
  // The agent's descriptor hand-over (qemu_process.h), with the files opened by the test.
  agent::UniqueFd firmware_fd(::open(firmware.c_str(), O_RDONLY | O_CLOEXEC));
  agent::UniqueFd guest_fd(::open(spec->guest_image_path().c_str(), O_RDONLY | O_CLOEXEC));
  agent::UniqueFd serial_fd(
      ::open(paths.firmware_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  auto qmp_listener = agent::ListenUnix(paths.qmp_socket, 4);
  EXPECT_TRUE(firmware_fd.valid() && guest_fd.valid() && serial_fd.valid());
  EXPECT_TRUE(qmp_listener.ok()) << qmp_listener.status();
  if (!firmware_fd.valid() || !guest_fd.valid() || !serial_fd.valid() || !qmp_listener.ok()) {
    return run;
  }
  agent::SpawnOptions spawn;
  spawn.inherit_fds = {firmware_fd.get(), guest_fd.get(), serial_fd.get(), qmp_listener->get(),
                       qemu_ivshmem_end.get()};
  agent::QemuFds fds;
  fds.firmware_image = agent::kFirstInheritedFd;
  fds.guest_image = agent::kFirstInheritedFd + 1;
  fds.serial_log = agent::kFirstInheritedFd + 2;
  fds.qmp_listener = agent::kFirstInheritedFd + 3;
  fds.ivshmem = agent::kFirstInheritedFd + 4;
  std::vector<std::string> args = agent::BuildQemuArgs(record, paths, fds);
  args.insert(args.end(), {"-device", "loader,file=" + dir + "/secrets.bin,addr=" + kSecretsGpa +
                                          ",force-raw=on"});
  auto proc = agent::SpawnProcess(args, dir + "/qemu.log", spawn);
  EXPECT_TRUE(proc.ok()) << proc.status();
  if (!proc.ok()) return run;
  qmp_listener->Reset();
  qemu_ivshmem_end.Reset();
  const int pidfd = proc->pidfd.get();
  auto alive = [pidfd] { return agent::ProcessAlive(pidfd); };
  absl::Status setup =
      ivshmem->AcceptAndSetup(region->fd(), std::chrono::milliseconds(20000), alive);
  EXPECT_TRUE(setup.ok()) << setup;
  auto qmp = agent::QmpClient::Connect(dir + "/qmp.sock", std::chrono::milliseconds(20000));
  EXPECT_TRUE(qmp.ok()) << qmp.status();
  CollectingSink sink;
  {
    ExitProxyServer server("fwattest", std::move(*region), ivshmem->agent_eventfd(),
                           ivshmem->paravisor_eventfd(), &sink, false);
    server.set_attestation_backend(backend);
    server.Start();
    if (qmp.ok()) EXPECT_TRUE(qmp->Execute("cont").ok());
    if (during) during(server);
    // QEMU ends through isa-debug-exit when the paravisor is done; bounded wait.
    int ws = 0;
    for (int i = 0; i < 1800; ++i) {
      if (::waitpid(proc->pid, &ws, WNOHANG) == proc->pid) {
        run.qemu_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (run.qemu_status < 0) {
      ::kill(proc->pid, SIGKILL);
      ::waitpid(proc->pid, &ws, 0);
    }
    server.Stop();
  }
  auto log = agent::ReadFileLimited(dir + "/firmware.log", 1 << 20);
  run.firmware_log = log.ok() ? *log : "";
  if (run.qemu_status != kQemuPassStatus) {
    auto qemu_log = agent::ReadFileLimited(dir + "/qemu.log", 1 << 16);
    if (qemu_log.ok()) run.firmware_log += "\n--- qemu.log ---\n" + *qemu_log;
  }
  std::filesystem::remove_all(dir);
  return run;
}

[[maybe_unused]] constexpr int kQemuPass = 33;

[[maybe_unused]] std::string Guest(const std::string& name) {
  return Env("PV_GUEST_DIR") + "/" + name;
}

#ifndef PV_FWATTEST_BENCH

TEST(QemuAttestTest, SnpReportThroughTheExitProxy) {
  TestOnlySecureProcessor sp(TestKey(), Misbehaviour::kNone, 0);
  const PartitionRun r =
      RunPartition(Env("PV_FIRMWARE"), Guest("hello.bin"), "attest-selftest", &sp);
  EXPECT_EQ(r.qemu_status, kQemuPass) << r.firmware_log;
  EXPECT_NE(r.firmware_log.find("attest: DRBG (CTR_DRBG, AES-256) seeded from RDRAND"),
            std::string::npos)
      << r.firmware_log;
  EXPECT_NE(r.firmware_log.find("sev-snp personality, transport exit proxy"), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      r.firmware_log,
      std::regex("attest: self-test: SNP report of 1184 bytes with the requested REPORT_DATA in "
                 "[0-9]+ us, sequence number now 2")))
      << r.firmware_log;
  EXPECT_EQ(sp.requests(), 1);
  EXPECT_EQ(sp.refused(), 0);
  const std::vector<uint8_t> rd = sp.last_report_data();
  ASSERT_EQ(rd.size(), 64u);
  EXPECT_EQ(rd[0], 0xa0);
  EXPECT_EQ(rd[63], 0xa0 + 63);
  // The key never appears in the log (hex of its first bytes).
  EXPECT_EQ(r.firmware_log.find("91 9c"), std::string::npos);
}

TEST(QemuAttestTest, TdxQuoteThroughTheExitProxy) {
  TestOnlySecureProcessor sp(TestKey(), Misbehaviour::kNone, 0);
  const PartitionRun r =
      RunPartition(Env("PV_FIRMWARE"), Guest("hello.bin"), "tee=tdx attest-selftest", &sp);
  EXPECT_EQ(r.qemu_status, kQemuPass) << r.firmware_log;
  EXPECT_NE(r.firmware_log.find("attest: self-test: TDX quote of 6072 bytes"), std::string::npos)
      << r.firmware_log;
  EXPECT_EQ(sp.requests(), 1);  // the TDREPORT through the guest-message envelope
  EXPECT_EQ(sp.quotes(), 1);    // then GetQuote through the bulk area
}

// A tampered, replayed or mis-sequenced response: refused, the key wiped, later requests
// refused by the paravisor itself (they never reach the secure processor).
class QemuTamperTest : public ::testing::TestWithParam<Misbehaviour> {};

TEST_P(QemuTamperTest, RefusedKeyWipedLaterRequestsRefused) {
  TestOnlySecureProcessor sp(TestKey(), GetParam(), /*good_responses=*/1);
  const PartitionRun r =
      RunPartition(Env("PV_FIRMWARE"), Guest("hello.bin"), "attest-selftest attest-rounds=3", &sp);
  EXPECT_EQ(r.qemu_status, kQemuPass) << r.firmware_log;
  EXPECT_NE(r.firmware_log.find("SNP report of 1184 bytes"), std::string::npos) << r.firmware_log;
  EXPECT_TRUE(std::regex_search(
      r.firmware_log,
      std::regex("attest: guest message: [^\n]*; VMPCK0 wiped, every later request is refused")))
      << r.firmware_log;
  EXPECT_NE(r.firmware_log.find("no evidence: attest: VMPCK0 was wiped after a failed exchange"),
            std::string::npos)
      << r.firmware_log;
  EXPECT_EQ(sp.requests(), 2);
}

INSTANTIATE_TEST_SUITE_P(Misbehaviours, QemuTamperTest,
                         ::testing::Values(Misbehaviour::kFlipHeaderBit,
                                           Misbehaviour::kFlipPayloadBit, Misbehaviour::kFlipTagBit,
                                           Misbehaviour::kReplay, Misbehaviour::kWrongSeqno));

TEST(QemuAttestTest, NoBackendNoEvidence) {
  const PartitionRun r =
      RunPartition(Env("PV_FIRMWARE"), Guest("hello.bin"), "attest-selftest", nullptr);
  EXPECT_EQ(r.qemu_status, kQemuPass) << r.firmware_log;
  EXPECT_NE(r.firmware_log.find("no evidence: exit proxy: agent has no attestation service"),
            std::string::npos)
      << r.firmware_log;
}

// Guest ABI v2: the probe guest gets a report with its own REPORT_DATA.
TEST(QemuAttestTest, GuestGetsEvidenceThroughTheHypercall) {
  TestOnlySecureProcessor sp(TestKey(), Misbehaviour::kNone, 0);
  const PartitionRun r =
      RunPartition(Env("PV_FIRMWARE"), Env("PV_FWATTEST_GUEST_DIR") + "/attest_probe.bin", "", &sp);
  EXPECT_EQ(r.qemu_status, kQemuPass) << r.firmware_log;
  EXPECT_NE(r.firmware_log.find("[guest] ATTEST evidence_bytes=0x00000000000004a0"),
            std::string::npos)
      << r.firmware_log;
  EXPECT_NE(r.firmware_log.find("[guest] ATTEST report_data matches"), std::string::npos);
  EXPECT_NE(
      r.firmware_log.find("[guest] ATTEST guest XMM0-15 and MXCSR intact across GET_EVIDENCE"),
      std::string::npos);
  EXPECT_NE(r.firmware_log.find("small buffer refused with -E2BIG, untouched"), std::string::npos);
  EXPECT_NE(r.firmware_log.find("guest 0: stopped: exit0"), std::string::npos);
  EXPECT_EQ(sp.last_report_data()[0], 0xc0);
  // The checked call, the too-small buffer (evidence produced, then refused), 4 timed calls.
  EXPECT_EQ(sp.requests(), 1 + 1 + 4);
}

#endif  // !PV_FWATTEST_BENCH

#ifdef PV_FWATTEST_BENCH
// Benchmark (fwattest_bench, not a ctest; `cmake --build build --target bench-fwattest`):
// guest-request round trips (GET_EVIDENCE: guest -> paravisor -> seal -> ring + bulk -> agent ->
// backend -> back -> open) against bare proxied IO reads of the agent's test device, in the same
// run.
TEST(QemuAttestBench, GuestRequestVsProxiedIo) {
  const int iters = std::getenv("PV_BENCH_ITERS") ? std::atoi(std::getenv("PV_BENCH_ITERS")) : 50;
  TestOnlySecureProcessor sp(TestKey(), Misbehaviour::kNone, 0);
  const PartitionRun r = RunPartition(
      Env("PV_TEST_FIRMWARE"),
      Env("PV_FWATTEST_GUEST_DIR") + "/attest_probe.bin iters=" + std::to_string(iters), "", &sp);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.firmware_log, m,
                        std::regex("ATTEST-BENCH iters=0x([0-9a-f]+) evidence_cycles=0x([0-9a-f]+) "
                                   "proxied_io_cycles=0x([0-9a-f]+)")))
      << r.firmware_log;
  const double n = static_cast<double>(std::stoull(m[1], nullptr, 16));
  const double ev = static_cast<double>(std::stoull(m[2], nullptr, 16)) / n;
  const double io = static_cast<double>(std::stoull(m[3], nullptr, 16)) / n;
  std::smatch tsc;
  double mhz = 0;
  if (std::regex_search(r.firmware_log, tsc, std::regex("TSC ([0-9]+) MHz"))) {
    mhz = std::stod(tsc[1]);
  }
  std::printf(
      "fwattest bench: %d iterations; guest request %.0f cycles, proxied IO %.0f cycles "
      "per round trip; ratio %.1f",
      static_cast<int>(n), ev, io, ev / io);
  if (mhz > 0) std::printf(" (%.0f us vs %.0f us at %.0f MHz TSC)", ev / mhz, io / mhz, mhz);
  std::printf("\n");
}
#endif  // PV_FWATTEST_BENCH

#ifndef PV_FWATTEST_BENCH

// The host agent asks the running paravisor for evidence with its own REPORT_DATA.
TEST(QemuAttestTest, AgentInitiatedEvidence) {
  TestOnlySecureProcessor sp(TestKey(), Misbehaviour::kNone, 0);
  absl::StatusOr<std::vector<uint8_t>> got = absl::UnknownError("not asked");
  std::vector<uint8_t> report_data(64);
  for (int i = 0; i < 64; ++i) report_data[i] = static_cast<uint8_t>(0x10 + i);
  const PartitionRun r = RunPartition(
      Env("PV_TEST_FIRMWARE"), Guest("loop.bin") + " test=loop iters=60000", "", &sp,
      [&](ExitProxyServer& server) {
        got = server.evidence_mailbox()->Fetch(report_data, std::chrono::milliseconds(60000));
      });
  EXPECT_EQ(r.qemu_status, kQemuPass) << r.firmware_log;
  ASSERT_TRUE(got.ok()) << got.status() << "\n" << r.firmware_log;
  ASSERT_EQ(got->size(), 1184u);
  EXPECT_TRUE(std::equal(report_data.begin(), report_data.end(), got->begin() + 0x50));
  EXPECT_NE(r.firmware_log.find("attest: evidence for the host agent (request 1): 1184 bytes"),
            std::string::npos)
      << r.firmware_log;
}

#endif  // !PV_FWATTEST_BENCH

}  // namespace
}  // namespace pv::testing_attest
