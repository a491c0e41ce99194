// VMCB exit information -> Exit (APM vol. 2, 15.6 and appendix C).
#include "svm/svm_vcpu.h"

namespace pv::svm {
namespace {

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

}  // namespace

Exit DecodeSvmExit(const Vmcb& vmcb, bool nrip_save, u64 guest_rcx) {
  const VmcbControl& c = vmcb.control;
  Exit e;
  e.raw_code = c.exit_code;
  e.raw_info1 = c.exit_info1;
  e.raw_info2 = c.exit_info2;
  bool instruction_intercept = true;
  switch (c.exit_code) {
    case exit_code::kCpuid:
      e.reason = ExitReason::kCpuid;
      break;
    case exit_code::kHlt:
      e.reason = ExitReason::kHlt;
      break;
    case exit_code::kInvd:
      e.reason = ExitReason::kCacheInvalidate;
      break;
    case exit_code::kVmmcall:
      e.reason = ExitReason::kHypercall;
      break;
    case exit_code::kXsetbv:
      e.reason = ExitReason::kXsetbv;
      break;
    case exit_code::kGeneralProtection:
      // EXITINFO1 holds the #GP error code; the fault did not complete: RIP stays.
      e.reason = ExitReason::kGeneralProtection;
      instruction_intercept = false;
      break;
    case exit_code::kIntr:
      // The paravisor's timer tick arrived while the guest ran (INTR intercept): no guest
      // instruction is involved, RIP stays.
      e.reason = ExitReason::kTimerInterrupt;
      instruction_intercept = false;
      break;
    case exit_code::kVintr:
      // The guest can take the interrupt the paravisor holds for it (V_IRQ): no instruction.
      e.reason = ExitReason::kInterruptWindow;
      instruction_intercept = false;
      break;
    case exit_code::kMsr:
      e.reason = (c.exit_info1 & 1) ? ExitReason::kMsrWrite : ExitReason::kMsrRead;
      e.msr = static_cast<u32>(guest_rcx);
      break;
    case exit_code::kIoio:
      e.reason = ExitReason::kIo;
      e.io.port = static_cast<u16>(c.exit_info1 >> 16);
      e.io.size = (c.exit_info1 & kIoioSz8) ? 1 : (c.exit_info1 & kIoioSz16) ? 2 : 4;
      e.io.in = c.exit_info1 & kIoioIn;
      e.io.string = c.exit_info1 & kIoioString;
      e.io.rep = c.exit_info1 & kIoioRep;
      // For IOIO, EXITINFO2 always holds the next RIP, with or without NRIP save.
      e.next_rip = c.exit_info2;
      e.next_rip_valid = true;
      instruction_intercept = false;
      break;
    case exit_code::kVmrun:
    case exit_code::kVmload:
    case exit_code::kVmsave:
    case exit_code::kStgi:
    case exit_code::kClgi:
    case exit_code::kSkinit:
    case exit_code::kInvlpga:
    case exit_code::kMonitor:
    case exit_code::kMwait:
    case exit_code::kMwaitConditional:
      // SVM instructions, and MONITOR/MWAIT, which CPUID hides: #UD.
      e.reason = ExitReason::kVirtInstruction;
      instruction_intercept = false;  // faults: RIP stays
      break;
    case exit_code::kNpf:
      e.reason = ExitReason::kNestedPageFault;
      e.npf.gpa = c.exit_info2;
      e.npf.present = c.exit_info1 & kNpfPresent;
      e.npf.write = c.exit_info1 & kNpfWrite;
      e.npf.fetch = c.exit_info1 & kNpfFetch;
      instruction_intercept = false;
      break;
    case exit_code::kShutdown:
      e.reason = ExitReason::kShutdown;
      instruction_intercept = false;
      break;
    default:
      // VMEXIT_INVALID is -1, but QEMU stores only the low 32 bits: match on those.
      e.reason = (c.exit_code & 0xffffffffull) == exit_code::kInvalidLow32
                     ? ExitReason::kEntryFailure
                     : ExitReason::kUnknown;
      instruction_intercept = false;
      break;
  }
  if (instruction_intercept && nrip_save && c.next_rip != 0) {
    e.next_rip = c.next_rip;
    e.next_rip_valid = true;
  }
  return e;
}

}  // namespace pv::svm
