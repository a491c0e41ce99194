// Host-side stand-ins for the firmware's hardware seams (arch/host_cpu.h, the log sink and the
// backend operations), backed by plain data the tests set and inspect.
#include "fake_host.h"
#include "kbs/kbs_client.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "arch/event_timer.h"
#include "arch/host_cpu.h"
#include "attest/guest_evidence.h"
#include "ghci/rtmr.h"
#include "lib/log.h"
#include "vcpu/backend_ops.h"

namespace pv::fake {

std::string& LogText() {
  static std::string text;
  return text;
}

std::map<std::pair<u32, u32>, arch::CpuidResult>& CpuidTable() {
  static std::map<std::pair<u32, u32>, arch::CpuidResult> table;
  return table;
}

u64& Xcr0() {
  static u64 xcr0 = 0;
  return xcr0;
}

TimerCalls& Timer() {
  static TimerCalls calls;
  return calls;
}

u64& Tsc() {
  static u64 tsc = 0;
  return tsc;
}

FakeEvidence& Evidence() {
  static FakeEvidence evidence;
  return evidence;
}

FakeTdxModule& TdxModule() {
  static FakeTdxModule module;
  return module;
}

std::vector<MsrInterceptCall>& MsrInterceptCalls() {
  static std::vector<MsrInterceptCall> calls;
  return calls;
}

FakeRegisterSource& RegisterSource() {
  static FakeRegisterSource source;
  return source;
}

void Reset() {
  RegisterSource() = FakeRegisterSource{};
  LogText().clear();
  CpuidTable().clear();
  MsrInterceptCalls().clear();
  Tsc() = 0;
  Evidence() = FakeEvidence{};
  TdxModule() = FakeTdxModule{};
  Xcr0() = 0;
  Timer() = {};
}

}  // namespace pv::fake

namespace pv {

void LogSinkWrite(const char* data, usize len) {
  fake::LogText().append(data, len);
}

namespace arch {
CpuidResult HostCpuid(u32 leaf, u32 subleaf) {
  auto& t = fake::CpuidTable();
  auto it = t.find({leaf, subleaf});
  if (it == t.end()) it = t.find({leaf, 0});
  return it == t.end() ? CpuidResult{0, 0, 0, 0} : it->second;
}
u32 HostCpuidMaxLeaf(u32 range_base) {
  return HostCpuid(range_base, 0).eax;  // the table may change between tests: never cached
}
u64 HostTsc() {
  return fake::Tsc();
}
void HostSetXcr0(u64 value) {
  fake::Xcr0() = value;
}
u64 AcknowledgeTimerInterrupts() {
  return ++fake::Timer().acknowledged;
}
void WaitForTimerEvent() {
  ++fake::Timer().waits;
  fake::Tsc() += fake::Timer().tsc_per_wait;  // time passes while the vCPU sleeps
}
void WaitForTimerEventOrTsc(u64 deadline_tsc) {
  ++fake::Timer().waits;
  const u64 slept = fake::Tsc() + fake::Timer().tsc_per_wait;
  fake::Tsc() = deadline_tsc > fake::Tsc() && deadline_tsc < slept ? deadline_tsc : slept;
}
}  // namespace arch

void FillRegisters(Vcpu& vcpu, RegMask missing) {
  fake::FakeRegisterSource& src = fake::RegisterSource();
  ++src.calls;
  src.fetched |= missing;
  for (unsigned r = 0; r < kRegCount; ++r) {
    if (!(missing & (RegMask{1} << r))) continue;
    if (r < kGprCount) {
      vcpu.run.gprs[r] = src.values[r];
    } else {
      vcpu.regs.values[r - kGprCount] = src.values[r];
    }
  }
  vcpu.regs.available |= missing;
}

void SetMsrInterception(Vcpu&, u32 msr, bool read, bool write) {
  fake::MsrInterceptCalls().push_back({msr, read, write});
}
void InterceptRdtsc(Vcpu&) {}
u64 BareRoundTrips(Vcpu&, u64, u64) {
  return 0;
}

namespace attest {
Result<usize> GuestEvidence(const u8 report_data[64], u8* out, usize cap) {
  fake::FakeEvidence& e = fake::Evidence();
  ++e.calls;
  e.last_report_data.assign(report_data, report_data + 64);
  if (!e.status.ok()) return e.status;
  if (e.evidence.size() > cap) return Status(Err::kOutOfRange, "fake evidence too large");
  std::copy(e.evidence.begin(), e.evidence.end(), out);
  return e.evidence.size();
}
bool TdxModuleAvailable() {
  return fake::TdxModule().available;
}
Status TdReport(const u8 report_data[64], u8 tdreport[1024]) {
  fake::FakeTdxModule& m = fake::TdxModule();
  if (!m.status.ok()) return m.status;
  ++m.reports;
  std::memset(tdreport, 0, 1024);
  tdreport[0] = 0x81;
  std::memcpy(tdreport + 128, report_data, 64);
  return Status::Ok();
}
Status ExtendRtmr(u32 index, const u8 data[48], u8 value[48]) {
  fake::FakeTdxModule& m = fake::TdxModule();
  if (!m.status.ok()) return m.status;
  if (index >= 4) return Status(Err::kOutOfRange, "fake module: RTMR index");
  ++m.extends;
  PV_TRY(ghci::ExtendRtmr(m.rtmr[index], data));
  std::memcpy(value, m.rtmr[index], 48);
  return Status::Ok();
}
}  // namespace attest

// The KBS client is firmware-only (it needs the attestation client and the relay); the host
// build of the exit handlers sees a partition without a KBS.
namespace kbs_client {
void PollKbsClient() {}
SecretView PeekSecret(u32) {
  SecretView v;
  v.status = SecretStatus::kUnavailable;
  v.reason = kUnavailableNotConfigured;
  return v;
}
void TakeSecret(u32) {}
}  // namespace kbs_client

}  // namespace pv
