// VMCB exit information -> the architecture-neutral Exit (APM vol. 2, 15.6 and appendix C).
// Inline, with a per-exit-code table (as vmx/vmx_exit.h), so the run loop decodes in a few
// instructions and reads from the VMCB only what the exit's kind needs.
#ifndef PV_SVM_SVM_EXIT_H_
#define PV_SVM_SVM_EXIT_H_

#include "exits/exit.h"
#include "lib/types.h"
#include "svm/vmcb.h"

namespace pv::svm {

namespace exit_needs {
// An instruction intercept: with NRIP save the VMCB's next RIP gives the instruction's length.
constexpr u8 kNextRip = 1u << 0;
constexpr u8 kOperands = 1u << 1;  // the decoder fills Exit's union (I/O, MSR, NPF)
// EXITINFO1/2 go into Exit's raw fields: the handler reports or uses them (I/O, NPF, #GP,
// unknown exits, entry failures); the other exits never look at them.
constexpr u8 kInfo = 1u << 2;
}  // namespace exit_needs

struct SvmExitKind {
  ExitReason reason;
  u8 needs;  // exit_needs bits
};

// Exit codes 0..0x8f (exceptions, interrupts, instruction intercepts); NPF (0x400) and
// VMEXIT_INVALID are matched separately.
constexpr u32 kSvmExitKindCount = 0x90;

struct SvmExitKindTable {
  SvmExitKind kinds[kSvmExitKindCount];
};

constexpr SvmExitKindTable BuildSvmExitKinds() {
  using namespace exit_needs;  // NOLINT(google-build-using-namespace): the table reads better
  constexpr SvmExitKind kVirt = {ExitReason::kVirtInstruction, 0};  // #UD: RIP stays
  SvmExitKindTable t{};
  for (SvmExitKind& k : t.kinds) k = {ExitReason::kUnknown, kInfo};
  t.kinds[exit_code::kCpuid] = {ExitReason::kCpuid, kNextRip};
  t.kinds[exit_code::kHlt] = {ExitReason::kHlt, kNextRip};
  t.kinds[exit_code::kInvd] = {ExitReason::kCacheInvalidate, kNextRip};
  t.kinds[exit_code::kVmmcall] = {ExitReason::kHypercall, kNextRip};
  t.kinds[exit_code::kXsetbv] = {ExitReason::kXsetbv, kNextRip};
  t.kinds[exit_code::kMsr] = {ExitReason::kMsrRead, kNextRip | kOperands};  // or write: EXITINFO1
  // For IOIO, EXITINFO2 always holds the next RIP, with or without NRIP save.
  t.kinds[exit_code::kIoio] = {ExitReason::kIo, kOperands | kInfo};
  // EXITINFO1 holds the #GP error code; the fault did not complete: RIP stays.
  t.kinds[exit_code::kGeneralProtection] = {ExitReason::kGeneralProtection, kInfo};
  // The paravisor's timer tick arrived while the guest ran (INTR intercept): no guest
  // instruction is involved, RIP stays.
  t.kinds[exit_code::kIntr] = {ExitReason::kTimerInterrupt, 0};
  // The guest can take the interrupt the paravisor holds for it (V_IRQ): no instruction.
  t.kinds[exit_code::kVintr] = {ExitReason::kInterruptWindow, 0};
  t.kinds[exit_code::kShutdown] = {ExitReason::kShutdown, 0};
  // SVM instructions, and MONITOR/MWAIT, which CPUID hides: #UD.
  constexpr u64 kVirtCodes[] = {
      exit_code::kVmrun, exit_code::kVmload,          exit_code::kVmsave,  exit_code::kStgi,
      exit_code::kClgi,  exit_code::kSkinit,          exit_code::kInvlpga, exit_code::kMonitor,
      exit_code::kMwait, exit_code::kMwaitConditional};
  for (u64 code : kVirtCodes) t.kinds[code] = kVirt;
  return t;
}

inline constexpr SvmExitKindTable kSvmExitKinds = BuildSvmExitKinds();

inline SvmExitKind SvmExitKindOf(u64 exit_code) {
  if (exit_code < kSvmExitKindCount) return kSvmExitKinds.kinds[exit_code];
  if (exit_code == exit_code::kNpf)
    return {ExitReason::kNestedPageFault, exit_needs::kOperands | exit_needs::kInfo};
  // VMEXIT_INVALID is -1, but QEMU stores only the low 32 bits: match on those.
  if ((exit_code & 0xffffffffull) == exit_code::kInvalidLow32)
    return {ExitReason::kEntryFailure, exit_needs::kInfo};
  return {ExitReason::kUnknown, exit_needs::kInfo};
}

namespace exit_info {
// IOIO EXITINFO1 (APM 15.10.2).
constexpr u64 kIoioIn = 1ull << 0;
constexpr u64 kIoioString = 1ull << 2;
constexpr u64 kIoioRep = 1ull << 3;
constexpr u64 kIoioSz8 = 1ull << 4;
constexpr u64 kIoioSz16 = 1ull << 5;
// NPF EXITINFO1: the #PF-style error code.
constexpr u64 kNpfPresent = 1ull << 0;
constexpr u64 kNpfWrite = 1ull << 1;
constexpr u64 kNpfFetch = 1ull << 4;
}  // namespace exit_info

// The operands of the exits that have them (SvmExitKind kOperands), into Exit's union.
// `guest_rcx` supplies the MSR number (the VMCB does not carry it).
inline void DecodeSvmOperands(const Vmcb& vmcb, u64 guest_rcx, Exit* out) {
  using namespace exit_info;  // NOLINT(google-build-using-namespace)
  const VmcbControl& c = vmcb.control;
  Exit& e = *out;
  switch (e.reason) {
    case ExitReason::kMsrRead:
      if (c.exit_info1 & 1) e.reason = ExitReason::kMsrWrite;
      e.msr = static_cast<u32>(guest_rcx);
      break;
    case ExitReason::kIo:
      e.io.port = static_cast<u16>(c.exit_info1 >> 16);
      e.io.size = (c.exit_info1 & kIoioSz8) ? 1 : (c.exit_info1 & kIoioSz16) ? 2 : 4;
      e.io.in = c.exit_info1 & kIoioIn;
      e.io.string = c.exit_info1 & kIoioString;
      e.io.rep = c.exit_info1 & kIoioRep;
      e.instruction_length = c.exit_info2 - vmcb.save.rip;
      e.length_valid = true;
      break;
    case ExitReason::kNestedPageFault:
      e.npf.gpa = c.exit_info2;
      e.npf.present = c.exit_info1 & kNpfPresent;
      e.npf.write = c.exit_info1 & kNpfWrite;
      e.npf.fetch = c.exit_info1 & kNpfFetch;
      break;
    default:
      break;
  }
}

// What every exit's decoding shares: the reason, the raw code and the hardware's length (NRIP
// save's next RIP minus the VMCB's RIP), every one of these fields written. The run loop uses it
// alone for the exits with nothing else to decode (no kInfo, no kOperands), on an Exit whose
// other fields stay 0; DecodeSvmExit for the rest.
inline void DecodeSvmCommon(const Vmcb& vmcb, const SvmExitKind& kind, bool nrip_save, Exit* e) {
  const VmcbControl& c = vmcb.control;
  e->raw_code = c.exit_code;
  e->reason = kind.reason;
  const bool length_valid = nrip_save && (kind.needs & exit_needs::kNextRip) && c.next_rip != 0;
  e->instruction_length = length_valid ? c.next_rip - vmcb.save.rip : 0;
  e->length_valid = length_valid;
}

// Decodes the VMCB's exit information into the architecture-neutral model. The instruction
// length is the hardware's next RIP (NRIP save, IOIO's EXITINFO2) minus the VMCB's RIP.
inline Exit DecodeSvmExit(const Vmcb& vmcb, bool nrip_save, u64 guest_rcx) {
  const VmcbControl& c = vmcb.control;
  Exit e;
  const SvmExitKind kind = SvmExitKindOf(c.exit_code);
  DecodeSvmCommon(vmcb, kind, nrip_save, &e);
  if (kind.needs & exit_needs::kInfo) {
    e.raw_info1 = c.exit_info1;
    e.raw_info2 = c.exit_info2;
  }
  if (kind.needs & exit_needs::kOperands) DecodeSvmOperands(vmcb, guest_rcx, &e);
  return e;
}

}  // namespace pv::svm

#endif  // PV_SVM_SVM_EXIT_H_
