// Test scenarios of paravisor-test.elf. A test guest (paravisor/guests/*.asm) drives each one
// through test hypercalls; the paravisor checks what only it can see and reports failures in the
// log ("TEST-FAIL: ..."), which makes the run fail. Selected per guest by `test=<name>` in the
// guest's module command line.
#include "arch/cpu.h"
#include "arch/event_timer.h"
#include "arch/tsc.h"
#include "exits/msr_policy.h"
#include "lib/log.h"
#include "testing/hooks.h"
#include "testing/test_abi.h"
#include "vcpu/backend_ops.h"

namespace pv::testing {
namespace {

// The guest's test state. One guest runs at a time, so a single instance suffices.
struct ScenarioState {
  bool gpr_checked = false;
  u64 failures = 0;
  u64 iters = 0;
  u64 expected_npf_gpa = ~0ull;
  u64 counters_at_phase[3] = {};  // guest writes, host writes, guest reads
  u64 bench_marks = 0;  // BENCH_MARK calls so far: start/stop of the hypercall, then CPUID loop
  u64 bench_start_tsc = 0;
  u64 bench_full_ticks = 0;
  u64 bench_cpuid_ticks = 0;
  bool unknown_scenario = false;
  bool npt = false;
  bool loop = false;
  bool bench = false;
};

ScenarioState g_state;

// Paravisor memory the NPT scenario's guest tries to reach; it must never change.
volatile u64 g_canary = 0xc0ffee0ddba11ull;
constexpr u64 kCanaryValue = 0xc0ffee0ddba11ull;

void Fail(const char* what, u64 seen, u64 expected) {
  ++g_state.failures;
  Log("TEST-FAIL: %s: saw 0x%lx, expected 0x%lx", what, seen, expected);
}

void Expect(bool ok, const char* what, u64 seen, u64 expected) {
  if (!ok) Fail(what, seen, expected);
}

ExitAction Return(Vcpu& vcpu, u64 value) {
  vcpu.set_gpr(kRax, value);
  return ExitAction::kResumeNext;
}

// GPR round trip: check the paravisor's saved copy of all 15 guest GPRs, then hand back new ones.
ExitAction CheckAndReplaceGprs(Vcpu& vcpu) {
  u64 matched = 0;
  for (unsigned r = 0; r < kGprCount; ++r) {
    if (r == kRsp) continue;
    const Gpr reg = static_cast<Gpr>(r);
    if (vcpu.gpr(reg) == GprPattern(r)) {
      ++matched;
    } else {
      Fail("gpr: paravisor's copy of a guest register", vcpu.gpr(reg), GprPattern(r));
    }
    vcpu.set_gpr(reg, ~GprPattern(r));
  }
  Log("gpr: guest -> paravisor: %lu/15 registers match", matched);
  g_state.gpr_checked = true;
  return ExitAction::kResumeNext;  // RAX carries its new pattern back; no result overwrite
}

void SnapshotCounters(const Vcpu& vcpu) {
  g_state.counters_at_phase[0] = vcpu.run.spec_ctrl_guest_writes;
  g_state.counters_at_phase[1] = vcpu.run.spec_ctrl_host_writes;
  g_state.counters_at_phase[2] = vcpu.run.spec_ctrl_guest_reads;
}

// SPEC_CTRL stand-in phases, driven by guest/specctrl.asm:
//  1: guest wrote 0x1111 without interception -> value read back, host value restored.
//  2: turn write interception on.
//  3: guest wrote 0x2222 through the intercept -> stored, never read back; host restored.
//  4: guest wrote the host value -> snapshot counters.
//  5: after many exits with equal values -> no SPEC_CTRL write at all.
ExitAction SpecCtrlPhase(Vcpu& vcpu, u64 phase) {
  VcpuRunState& run = vcpu.run;
  const u64 failures_before = g_state.failures;
  const u64 host_now = arch::Rdmsr(kSpecCtrlMsr);
  switch (phase) {
    case 1:
      Expect(run.guest_spec_ctrl == 0x1111, "spec_ctrl phase 1: guest value read back after exit",
             run.guest_spec_ctrl, 0x1111);
      Expect(host_now == run.host_spec_ctrl, "spec_ctrl phase 1: host value restored", host_now,
             run.host_spec_ctrl);
      Expect(run.spec_ctrl_guest_reads > 0, "spec_ctrl phase 1: guest reads counted",
             run.spec_ctrl_guest_reads, 1);
      break;
    case 2:
      run.spec_ctrl_intercepted = 1;
      SetMsrInterception(vcpu, kSpecCtrlMsr, false, true);
      SnapshotCounters(vcpu);
      break;
    case 3:
      Expect(run.guest_spec_ctrl == 0x2222, "spec_ctrl phase 3: intercepted write stored",
             run.guest_spec_ctrl, 0x2222);
      Expect(run.spec_ctrl_guest_reads == g_state.counters_at_phase[2],
             "spec_ctrl phase 3: MSR not read back while intercepted", run.spec_ctrl_guest_reads,
             g_state.counters_at_phase[2]);
      Expect(host_now == run.host_spec_ctrl, "spec_ctrl phase 3: host value restored", host_now,
             run.host_spec_ctrl);
      vcpu.set_gpr(kRax, run.host_spec_ctrl);
      return ExitAction::kResumeNext;
    case 4:
      Expect(run.guest_spec_ctrl == run.host_spec_ctrl, "spec_ctrl phase 4: guest value = host",
             run.guest_spec_ctrl, run.host_spec_ctrl);
      SnapshotCounters(vcpu);
      break;
    case 5:
      Expect(run.spec_ctrl_guest_writes == g_state.counters_at_phase[0],
             "spec_ctrl phase 5: no guest-value write when equal", run.spec_ctrl_guest_writes,
             g_state.counters_at_phase[0]);
      Expect(run.spec_ctrl_host_writes == g_state.counters_at_phase[1],
             "spec_ctrl phase 5: no host-value write when equal", run.spec_ctrl_host_writes,
             g_state.counters_at_phase[1]);
      Log("spec_ctrl: counters guest-writes %lu host-writes %lu guest-reads %lu after %lu exits",
          run.spec_ctrl_guest_writes, run.spec_ctrl_host_writes, run.spec_ctrl_guest_reads,
          vcpu.stats.Total());
      break;
    default:
      Fail("spec_ctrl: unknown phase", phase, 0);
  }
  return Return(
      vcpu, g_state.failures == failures_before ? 0 : static_cast<u64>(-static_cast<i64>(phase)));
}

void PrintRate(const char* what, u64 count, u64 ticks, u64 hz) {
  const u64 per_sec = ticks ? count * hz / ticks : 0;
  Log("BENCH %s: %lu exits in %lu TSC ticks: %lu ticks/exit, %lu exits/s", what, count, ticks,
      count ? ticks / count : 0, per_sec);
}

ExitAction BenchBare(Vcpu& vcpu, u64 bare_rip) {
  const u64 n = g_state.iters;
  const u64 resume_rip = vcpu.rip();
  const u64 bare_ticks = BareRoundTrips(vcpu, bare_rip, n);
  vcpu.set_rip(resume_rip);
  const u64 hz = arch::TscHz();
  Log("BENCH tsc_hz %lu", hz);
  PrintRate("full exit path (null hypercall: decode, dispatch, handler, RIP advance)", n,
            g_state.bench_full_ticks, hz);
  PrintRate("cpuid exit path (leaf 0: decode, dispatch, CPUID policy, RIP advance)", n,
            g_state.bench_cpuid_ticks, hz);
  PrintRate("bare world-switch loop (guest VMMCALL/VMCALL, RIP += 3 only)", n, bare_ticks, hz);
  if (g_state.bench_full_ticks) {
    Log("BENCH ratio full/bare throughput: %lu.%03lu", bare_ticks / g_state.bench_full_ticks,
        (bare_ticks % g_state.bench_full_ticks) * 1000 / g_state.bench_full_ticks);
  }
  return Return(vcpu, 0);
}

}  // namespace

ExitAction HandleTestHypercall(Vcpu& vcpu, const Exit&) {
  const u64 nr = vcpu.gpr(kRax);
  const u64 arg = vcpu.gpr(kRdi);
  switch (nr) {
    case kHcTestGpr:
      return CheckAndReplaceGprs(vcpu);
    case kHcTestRip:
      return Return(vcpu, vcpu.rip());
    case kHcTestSpecCtrl:
      return SpecCtrlPhase(vcpu, arg);
    case kHcTestCanary:
      g_state.expected_npf_gpa = arg;
      return Return(vcpu, reinterpret_cast<u64>(&g_canary));
    case kHcTestGetIters:
      return Return(vcpu, g_state.iters);
    case kHcTestBenchMark:
      // Marks 1 and 3 start a loop (null hypercalls, then CPUID), 2 and 4 stop it.
      if (g_state.bench_marks == 0) {
        // Instruction counts of the exit path alone, without the paravisor's tick handling;
        // the tick resumes when the guest stops.
        arch::PauseEventTimer(true);
        g_state.bench = true;
      }
      if (g_state.bench_marks % 2 == 0) {
        g_state.bench_start_tsc = arch::Rdtsc();
      } else {
        (g_state.bench_marks == 1 ? g_state.bench_full_ticks : g_state.bench_cpuid_ticks) =
            arch::Rdtsc() - g_state.bench_start_tsc;
      }
      ++g_state.bench_marks;
      return Return(vcpu, 0);
    case kHcTestBenchBare:
      return BenchBare(vcpu, arg);
    case kHcTestExitCount:
      return Return(vcpu, vcpu.stats.Total());
    default:
      return Return(vcpu, static_cast<u64>(abi::kHcErrNoSys));
  }
}

void OnGuestStart(Vcpu& vcpu, const Cmdline& cmdline) {
  g_state = ScenarioState{};
  g_state.iters = cmdline.GetU64("iters", 1000);
  StrView test;
  if (!cmdline.Get("test", &test)) return;
  if (test.Equals("specctrl")) {
    arch::Wrmsr(kSpecCtrlMsr, kSpecCtrlHostValue);
    vcpu.run.host_spec_ctrl = kSpecCtrlHostValue;
  } else if (test.Equals("unknown")) {
    InterceptRdtsc(vcpu);
  } else if (test.Equals("npt")) {
    g_state.npt = true;
  } else if (test.Equals("loop")) {
    g_state.loop = true;
  }
}

bool CheckAfterStop(Vcpu& vcpu) {
  Expect(g_canary == kCanaryValue, "paravisor canary changed by a guest", g_canary, kCanaryValue);
  if (g_state.npt) {
    Expect(vcpu.stop.reason == StopReason::kNptViolation,
           "npt: guest stopped by a nested page fault", static_cast<u64>(vcpu.stop.reason),
           static_cast<u64>(StopReason::kNptViolation));
    Expect(vcpu.stop.detail == g_state.expected_npf_gpa, "npt: faulting GPA", vcpu.stop.detail,
           g_state.expected_npf_gpa);
  }
  if (g_state.bench) arch::PauseEventTimer(false);
  if (g_state.loop) {
    const u64 cpuid_exits = vcpu.stats.by_reason[static_cast<usize>(ExitReason::kCpuid)];
    Expect(cpuid_exits >= g_state.iters, "loop: CPUID exits handled", cpuid_exits, g_state.iters);
  }
  return g_state.failures == 0;
}

}  // namespace pv::testing
