// The guest's time budget and HLT, both served by the paravisor's timer (arch/event_timer.h).
#include "arch/event_timer.h"
#include "arch/host_cpu.h"
#include "attest/guest_evidence.h"
#include "exits/handlers.h"
#include "kbs/kbs_client.h"

namespace pv {
namespace {

bool BudgetSpent(const Vcpu& vcpu) {
  return vcpu.budget_deadline_tsc != 0 && arch::HostTsc() >= vcpu.budget_deadline_tsc;
}

ExitAction StopForTimeout(Vcpu& vcpu) {
  ConsoleFlush(vcpu);
  return vcpu.Stop(StopReason::kTimeout, 0, vcpu.budget_deadline_tsc,
                   "guest used up its time budget");
}

}  // namespace

ExitAction HandleTimerInterrupt(Vcpu& vcpu, const Exit&) {
  // The tick that interrupted the guest is still pending (interrupts are off in the paravisor):
  // take it, or the next entry would exit again at once. The guest's RIP did not move.
  arch::AcknowledgeTimerInterrupts();
  // Host-agent requests (`pvctl attest`) are looked at once per tick, not on every exit: every
  // guest is interrupted by the tick, so none can keep a request waiting longer than one tick,
  // and the exits a guest causes (CPUID, I/O, ...) pay nothing for it.
  attest::PollAgentEvidence();
  // The KBS flow runs once, at the first tick after the guest started (kbs/kbs_client.h).
  kbs_client::PollKbsClient();
  if (BudgetSpent(vcpu)) return StopForTimeout(vcpu);
  return ExitAction::kResumeSame;
}

ExitAction HandleHlt(Vcpu& vcpu, const Exit&) {
  // With interrupts disabled nothing could ever wake the CPU, so the guest is finished.
  if ((vcpu.rflags & (1ull << 9)) == 0) {
    ConsoleFlush(vcpu);
    return vcpu.Stop(StopReason::kHalted, 0, 0, "guest halted with interrupts disabled");
  }
  // With interrupts enabled a CPU sleeps until the next event. The only event source is the
  // paravisor's timer, so the vCPU sleeps until its next tick; a guest that halts forever thus
  // spends its budget in time, not in exits, and ends as `timeout`.
  arch::WaitForTimerEvent();
  attest::PollAgentEvidence();  // the tick that woke the vCPU: see HandleTimerInterrupt
  kbs_client::PollKbsClient();
  if (BudgetSpent(vcpu)) return StopForTimeout(vcpu);
  return ExitAction::kResumeNext;
}

}  // namespace pv
