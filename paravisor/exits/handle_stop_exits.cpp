// Exits after which the guest cannot, or must not, continue — plus INVD (HLT: handle_timer.cpp).
#include "exits/handlers.h"
#include "insn/decode.h"
#include "lib/log.h"

namespace pv {

ExitAction HandleCacheInvalidate(Vcpu&, const Exit&) {
  // INVD would discard dirty cache lines without writing them back, including lines of memory
  // the guest does not own (the paravisor's, another partition's). Like KVM, the paravisor
  // intercepts it and completes it as a no-op: the guest's own data stays coherent anyway.
  return ExitAction::kResumeNext;
}

ExitAction HandleShutdown(Vcpu& vcpu, const Exit&) {
  ConsoleFlush(vcpu);
  return vcpu.Stop(StopReason::kShutdown, 0, 0, "guest triple fault (shutdown)");
}

ExitAction HandleVirtInstruction(Vcpu& vcpu, const Exit&) {
  // The guest sees no virtualisation extensions (CPUID hides them); executing one raises #UD.
  vcpu.InjectException(kVectorUd, false, 0);
  return ExitAction::kResumeSame;
}

ExitAction HandleGeneralProtection(Vcpu& vcpu, const Exit& exit) {
  // SVM checks CPL before its intercepts, so an SVM instruction at CPL > 0 raises #GP, which
  // would tell the guest EFER.SVME is set. The paravisor intercepts #GP and turns exactly those
  // into the #UD a CPU without SVM raises; every other #GP goes back with its error code.
  u8 bytes[insn::kMaxInstructionLength];
  const Result<usize> fetched = FetchInstructionBytes(vcpu, bytes);
  if (fetched.ok()) {
    const Result<insn::Decoded> d = insn::Decode(bytes, fetched.value());
    if (d.ok() && insn::IsSvmInstruction(d.value().kind)) {
      vcpu.InjectException(kVectorUd, false, 0);
      return ExitAction::kResumeSame;
    }
  }
  vcpu.InjectException(kVectorGp, true, static_cast<u32>(exit.raw_info1));
  return ExitAction::kResumeSame;
}

ExitAction HandleEntryFailure(Vcpu& vcpu, const Exit& exit) {
  return vcpu.Stop(StopReason::kEntryFailure, exit.raw_code, exit.raw_info1,
                   "hardware refused the guest state on entry");
}

ExitAction HandleUnknownExit(Vcpu& vcpu, const Exit& exit) {
  ConsoleFlush(vcpu);
  Log("exit: guest %u: unhandled exit code 0x%lx (info1 0x%lx info2 0x%lx) at RIP 0x%lx: stopped",
      vcpu.guest_index, exit.raw_code, exit.raw_info1, exit.raw_info2, vcpu.rip());
  return vcpu.Stop(StopReason::kUnknownExit, exit.raw_code, exit.raw_info1,
                   "exit the paravisor does not handle");
}

}  // namespace pv
