#include "attest/guest_evidence.h"
#include "exits/handlers.h"

namespace pv {

const char* ExitReasonName(ExitReason reason) {
  switch (reason) {
    case ExitReason::kCpuid:
      return "cpuid";
    case ExitReason::kIo:
      return "io";
    case ExitReason::kMsrRead:
      return "msr-read";
    case ExitReason::kMsrWrite:
      return "msr-write";
    case ExitReason::kHlt:
      return "hlt";
    case ExitReason::kHypercall:
      return "hypercall";
    case ExitReason::kNestedPageFault:
      return "nested-page-fault";
    case ExitReason::kShutdown:
      return "shutdown";
    case ExitReason::kVirtInstruction:
      return "virt-instruction";
    case ExitReason::kEntryFailure:
      return "entry-failure";
    case ExitReason::kUnknown:
      return "unknown";
    case ExitReason::kCacheInvalidate:
      return "cache-invalidate";
    case ExitReason::kXsetbv:
      return "xsetbv";
    case ExitReason::kTimerInterrupt:
      return "timer";
    case ExitReason::kCrAccess:
      return "cr-access";
    case ExitReason::kGeneralProtection:
      return "general-protection";
    case ExitReason::kInterruptWindow:
      return "interrupt-window";
    case ExitReason::kCount:
      break;
  }
  return "?";
}

const char* StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kNone:
      return "running";
    case StopReason::kExited:
      return "exited";
    case StopReason::kHalted:
      return "halted";
    case StopReason::kShutdown:
      return "shutdown";
    case StopReason::kNptViolation:
      return "npf";
    case StopReason::kUnknownExit:
      return "unknown-exit";
    case StopReason::kEntryFailure:
      return "entry-failure";
    case StopReason::kDecodeFailure:
      return "decode-failure";
    case StopReason::kInternalError:
      return "internal-error";
    case StopReason::kTimeout:
      return "timeout";
  }
  return "?";
}

ExitAction DispatchExit(Vcpu& vcpu, const Exit& exit) {
  ++vcpu.stats.total;
  if (exit.reason < ExitReason::kCount) ++vcpu.stats.by_reason[static_cast<usize>(exit.reason)];
  switch (exit.reason) {
    case ExitReason::kCpuid:
      return HandleCpuid(vcpu, exit);
    case ExitReason::kIo:
      return HandleIo(vcpu, exit);
    case ExitReason::kMsrRead:
      return HandleMsrRead(vcpu, exit);
    case ExitReason::kMsrWrite:
      return HandleMsrWrite(vcpu, exit);
    case ExitReason::kHlt:
      return HandleHlt(vcpu, exit);
    case ExitReason::kHypercall:
      return HandleHypercall(vcpu, exit);
    case ExitReason::kNestedPageFault:
      return HandleNestedPageFault(vcpu, exit);
    case ExitReason::kShutdown:
      return HandleShutdown(vcpu, exit);
    case ExitReason::kVirtInstruction:
      return HandleVirtInstruction(vcpu, exit);
    case ExitReason::kEntryFailure:
      return HandleEntryFailure(vcpu, exit);
    case ExitReason::kCacheInvalidate:
      return HandleCacheInvalidate(vcpu, exit);
    case ExitReason::kXsetbv:
      return HandleXsetbv(vcpu, exit);
    case ExitReason::kTimerInterrupt:
      return HandleTimerInterrupt(vcpu, exit);
    case ExitReason::kCrAccess:
      return HandleCrAccess(vcpu, exit);
    case ExitReason::kGeneralProtection:
      return HandleGeneralProtection(vcpu, exit);
    case ExitReason::kInterruptWindow:
      return ExitAction::kResumeSame;  // the backend injects on the way back in
    case ExitReason::kUnknown:
    case ExitReason::kCount:
      break;
  }
  return HandleUnknownExit(vcpu, exit);
}

ExitAction ProcessExit(Vcpu& vcpu, const Exit& exit) {
  const ExitAction action = DispatchExit(vcpu, exit);
  if (action != ExitAction::kResumeNext) return action;
  const Result<u64> len = ExitingInstructionLength(vcpu, exit);
  if (!len.ok())
    return vcpu.Stop(StopReason::kDecodeFailure, exit.raw_code, 0, len.status().message());
  vcpu.rip += len.value();
  return ExitAction::kResumeNext;
}

}  // namespace pv
