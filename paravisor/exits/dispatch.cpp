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
    case StopReason::kTerminated:
      return "terminated";
    case StopReason::kProtocolError:
      return "protocol-error";
  }
  return "?";
}

ExitAction AdvanceByDecoding(Vcpu& vcpu, const Exit& exit) {
  const Result<u64> len = ExitingInstructionLength(vcpu, exit);
  if (!len.ok())
    return vcpu.Stop(StopReason::kDecodeFailure, exit.raw_code, 0, len.status().message());
  vcpu.AdvanceRip(len.value());
  return ExitAction::kResumeNext;
}

}  // namespace pv
