// The guest's time budget and HLT, both served by the paravisor's timer (arch/event_timer.h).
#include "arch/event_timer.h"
#include "arch/host_cpu.h"
#include "attest/guest_evidence.h"
#include "exits/guest_interrupts.h"
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

// A guest with interrupt controllers sleeps until one of them has an interrupt for it (its APIC
// timer's deadline, or a device), which the backend injects on the way back in; the paravisor's
// ticks in between serve the host agent and the budget.
ExitAction HaltUntilInterrupt(Vcpu& vcpu) {
  for (;;) {
    if (PendingGuestInterrupt(vcpu).vector >= 0) return ExitAction::kResumeNext;
    if (BudgetSpent(vcpu)) return StopForTimeout(vcpu);
    const u64 next = NextGuestTimerTsc(vcpu);
    if (next == apic::LocalApic::kNever) {
      arch::WaitForTimerEvent();
    } else {
      arch::WaitForTimerEventOrTsc(next);
    }
    attest::PollAgentEvidence();
  }
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
  if ((vcpu.rflags() & (1ull << 9)) == 0) {
    ConsoleFlush(vcpu);
    return vcpu.Stop(StopReason::kHalted, 0, 0, "guest halted with interrupts disabled");
  }
  if (vcpu.irq.enabled) return HaltUntilInterrupt(vcpu);
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
