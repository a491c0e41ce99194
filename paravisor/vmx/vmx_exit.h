// VMCS exit information -> the architecture-neutral Exit (SDM vol. 3, chapter 28 and appendix
// C). Kept free of VMREAD so the host unit tests can exercise the decoding directly.
#ifndef PV_VMX_VMX_EXIT_H_
#define PV_VMX_VMX_EXIT_H_

#include "exits/exit.h"
#include "lib/types.h"

namespace pv::vmx {

// Basic exit reasons the decoder names (SDM appendix C).
namespace exit_reason {
constexpr u32 kExceptionOrNmi = 0;
constexpr u32 kExternalInterrupt = 1;
constexpr u32 kTripleFault = 2;
constexpr u32 kInterruptWindow = 7;
constexpr u32 kCpuid = 10;
constexpr u32 kHlt = 12;
constexpr u32 kInvd = 13;
constexpr u32 kRdtsc = 16;
constexpr u32 kVmcall = 18;
constexpr u32 kVmclear = 19;  // 19..27: VMCLEAR, VMLAUNCH, VMPTRLD, VMPTRST, VMREAD,
constexpr u32 kVmxon = 27;    //         VMRESUME, VMWRITE, VMXOFF, VMXON
constexpr u32 kCrAccess = 28;
constexpr u32 kIo = 30;
constexpr u32 kRdmsr = 31;
constexpr u32 kWrmsr = 32;
constexpr u32 kInvalidGuestState = 33;
constexpr u32 kMsrLoading = 34;
constexpr u32 kMwait = 36;
constexpr u32 kMonitor = 39;
constexpr u32 kMachineCheck = 41;
constexpr u32 kEptViolation = 48;
constexpr u32 kEptMisconfig = 49;
constexpr u32 kInvept = 50;
constexpr u32 kInvvpid = 53;
constexpr u32 kPreemptionTimer = 52;
constexpr u32 kXsetbv = 55;
constexpr u32 kVmfunc = 59;
constexpr u32 kEntryFailureBit = 1u << 31;  // in the full exit-reason field
}  // namespace exit_reason

// What the run loop read from the VMCS for one exit: the exit reason always, the rest only when
// the reason's VmxExitKind says the decoder or the handler uses it (zero otherwise).
struct ExitInfo {
  u32 reason = 0;  // full exit-reason field (basic reason in bits 15:0, entry failure in 31)
  u64 qualification = 0;
  u32 instruction_length = 0;  // VM-exit instruction length (valid for instruction exits)
  u64 guest_physical = 0;      // EPT violations/misconfigurations
  u64 guest_rcx = 0;           // RDMSR/WRMSR: the MSR number
};

// Per basic exit reason: the exit model's reason, which VMCS exit-information fields it needs,
// and which guest registers its handler is known to read first, so the backend reads exactly
// those at the exit, in line, and nothing else (every VMREAD is an instruction on the exit path;
// a register the handler asks for beyond these is fetched on first use, vcpu/registers.h).
namespace exit_needs {
// An instruction exit: the VM-exit instruction length, and RIP, which the advance past the
// instruction reads.
constexpr u8 kInstructionLength = 1u << 0;
constexpr u8 kQualification = 1u << 1;  // decoded (I/O, CR, EPT) or reported (unknown exits)
constexpr u8 kGuestPhysical = 1u << 2;  // EPT violations/misconfigurations
// Not an instruction exit, so it may have interrupted an event's delivery: the IDT-vectoring
// information must be read (and the event delivered again). An instruction exit never happens
// during event delivery (SDM 28.2.4: the field is then invalid), so it is not read for them.
constexpr u8 kVectoring = 1u << 3;
constexpr u8 kCpl = 1u << 4;       // the handler checks the privilege level first
constexpr u8 kOperands = 1u << 5;  // the decoder fills Exit's union (I/O, MSR, CR, EPT)
}  // namespace exit_needs

struct VmxExitKind {
  ExitReason reason;
  u8 needs;  // exit_needs bits
};

constexpr u32 kVmxExitKindCount = 64;  // basic reasons 0..63; any other is unknown

struct VmxExitKindTable {
  VmxExitKind kinds[kVmxExitKindCount + 1];  // the last entry: every unknown reason
};

constexpr VmxExitKindTable BuildVmxExitKinds() {
  using namespace exit_needs;  // NOLINT(google-build-using-namespace): the table reads better
  constexpr VmxExitKind kUnknown = {ExitReason::kUnknown, kQualification | kVectoring};
  constexpr VmxExitKind kVirt = {ExitReason::kVirtInstruction, kVectoring};
  VmxExitKindTable t{};
  for (VmxExitKind& k : t.kinds) k = kUnknown;
  // The paravisor's timer tick (external-interrupt exiting), or the VMX-preemption timer
  // standing in for it while the guest runs with interrupts masked; no guest instruction.
  t.kinds[exit_reason::kExternalInterrupt] = {ExitReason::kTimerInterrupt, kVectoring};
  t.kinds[exit_reason::kPreemptionTimer] = {ExitReason::kTimerInterrupt, kVectoring};
  // The guest can take the interrupt the paravisor holds for it; no guest instruction.
  t.kinds[exit_reason::kInterruptWindow] = {ExitReason::kInterruptWindow, kVectoring};
  t.kinds[exit_reason::kTripleFault] = {ExitReason::kShutdown, kVectoring};
  // Instruction exits report the instruction's length, so the next RIP is always known here
  // (the VMX counterpart of SVM's NRIP save).
  t.kinds[exit_reason::kCpuid] = {ExitReason::kCpuid, kInstructionLength};
  t.kinds[exit_reason::kHlt] = {ExitReason::kHlt, kInstructionLength};
  t.kinds[exit_reason::kInvd] = {ExitReason::kCacheInvalidate, kInstructionLength};
  t.kinds[exit_reason::kVmcall] = {ExitReason::kHypercall, kInstructionLength | kCpl};
  t.kinds[exit_reason::kXsetbv] = {ExitReason::kXsetbv, kInstructionLength | kCpl};
  t.kinds[exit_reason::kRdmsr] = {ExitReason::kMsrRead, kInstructionLength | kOperands};
  t.kinds[exit_reason::kWrmsr] = {ExitReason::kMsrWrite, kInstructionLength | kOperands};
  t.kinds[exit_reason::kCrAccess] = {ExitReason::kCrAccess,
                                     kInstructionLength | kQualification | kCpl | kOperands};
  t.kinds[exit_reason::kIo] = {ExitReason::kIo, kInstructionLength | kQualification | kOperands};
  // The virtualisation instructions, and MONITOR/MWAIT, which CPUID hides: #UD, RIP stays.
  for (u32 r = exit_reason::kVmclear; r <= exit_reason::kVmxon; ++r) t.kinds[r] = kVirt;
  t.kinds[exit_reason::kMwait] = kVirt;
  t.kinds[exit_reason::kMonitor] = kVirt;
  t.kinds[exit_reason::kInvept] = kVirt;
  t.kinds[exit_reason::kInvvpid] = kVirt;
  t.kinds[exit_reason::kVmfunc] = kVirt;
  // A misconfiguration is the paravisor's own table error; it is reported like a violation
  // (raw_code says which) so the guest stops with the faulting address.
  t.kinds[exit_reason::kEptViolation] = {ExitReason::kNestedPageFault,
                                         kQualification | kGuestPhysical | kVectoring | kOperands};
  t.kinds[exit_reason::kEptMisconfig] = {ExitReason::kNestedPageFault,
                                         kQualification | kGuestPhysical | kVectoring | kOperands};
  t.kinds[exit_reason::kInvalidGuestState] = {ExitReason::kEntryFailure, kQualification};
  t.kinds[exit_reason::kMsrLoading] = {ExitReason::kEntryFailure, kQualification};
  t.kinds[exit_reason::kMachineCheck] = {ExitReason::kEntryFailure, kQualification};
  return t;
}

inline constexpr VmxExitKindTable kVmxExitKinds = BuildVmxExitKinds();

inline const VmxExitKind& VmxExitKindOf(u32 full_reason) {
  const u32 basic = full_reason & 0xffff;
  return kVmxExitKinds.kinds[basic < kVmxExitKindCount ? basic : kVmxExitKindCount];
}

// The run loop's first look at an exit: the kind of the full exit-reason field, in which any bit
// beyond the basic reason (entry failure, enclave mode, pending MTF, exit from VMX root) selects
// the unknown kind, whose needs send the exit to the complete, out-of-line decode; one compare
// on the common path instead of the mask and a test of the entry-failure bit.
inline const VmxExitKind& VmxExitKindForRunLoop(u32 full_reason) {
  static_assert((kVmxExitKinds.kinds[kVmxExitKindCount].needs & exit_needs::kQualification) != 0,
                "the unknown kind takes the complete decode");
  return kVmxExitKinds.kinds[full_reason < kVmxExitKindCount ? full_reason : kVmxExitKindCount];
}

namespace exit_qualification {
// I/O exit qualification (SDM table 28-5).
constexpr u64 kIoSizeMask = 0x7;  // size - 1
constexpr u64 kIoIn = 1ull << 3;
constexpr u64 kIoString = 1ull << 4;
constexpr u64 kIoRep = 1ull << 5;

// EPT violation qualification (SDM table 28-7).
constexpr u64 kEptWrite = 1ull << 1;
constexpr u64 kEptFetch = 1ull << 2;
constexpr u64 kEptEntryPermissions = 7ull << 3;  // readable/writable/executable: it was mapped
}  // namespace exit_qualification

// The operands of the exits that have them (VmxExitKind kOperands), into Exit's union.
inline void DecodeVmxOperands(const ExitInfo& info, Exit* out) {
  using namespace exit_qualification;  // NOLINT(google-build-using-namespace)
  Exit& e = *out;
  switch (e.reason) {
    case ExitReason::kCrAccess:
      // Qualification (SDM table 28-3): CR number [3:0], access type [5:4], GPR [11:8], LMSW
      // source data [31:16].
      e.cr.cr = static_cast<u8>(info.qualification & 0xf);
      e.cr.type = static_cast<CrAccessType>((info.qualification >> 4) & 3);
      e.cr.gpr = static_cast<u8>((info.qualification >> 8) & 0xf);
      e.cr.lmsw_data = static_cast<u16>(info.qualification >> 16);
      break;
    case ExitReason::kMsrRead:
    case ExitReason::kMsrWrite:
      e.msr = static_cast<u32>(info.guest_rcx);
      break;
    case ExitReason::kIo:
      e.io.port = static_cast<u16>(info.qualification >> 16);
      e.io.size = static_cast<u8>((info.qualification & kIoSizeMask) + 1);
      e.io.in = info.qualification & kIoIn;
      e.io.string = info.qualification & kIoString;
      e.io.rep = info.qualification & kIoRep;
      break;
    case ExitReason::kNestedPageFault:
      e.npf.gpa = info.guest_physical;
      e.npf.write = info.qualification & kEptWrite;
      e.npf.fetch = info.qualification & kEptFetch;
      e.npf.present = (info.reason & 0xffff) == exit_reason::kEptMisconfig ||
                      (info.qualification & kEptEntryPermissions) != 0;
      break;
    default:
      break;
  }
}

// What every exit's decoding shares: the reason, the raw code, the hardware's length. The run
// loop uses it alone for the exits with nothing else to decode (VmxExitKind needs only the length
// and registers), DecodeVmxExit for the rest.
// `instruction_length`: the VM-exit instruction length for a kind with kInstructionLength, 0 for
// any other (the field is undefined then). Every one of these fields is written: the run loop
// keeps one Exit whose other fields stay 0.
inline void DecodeVmxCommon(u32 reason, const VmxExitKind& kind, u32 instruction_length, Exit* e) {
  e->raw_code = reason;
  e->reason = kind.reason;
  e->instruction_length = instruction_length;
  e->length_valid = instruction_length != 0;
}

inline Exit DecodeVmxExit(const ExitInfo& info) {
  Exit e;
  e.raw_info1 = info.qualification;
  e.raw_info2 = info.guest_physical;
  if (info.reason & exit_reason::kEntryFailureBit) {
    e.raw_code = info.reason;
    e.reason = ExitReason::kEntryFailure;
    return e;
  }
  const VmxExitKind& kind = VmxExitKindOf(info.reason);
  DecodeVmxCommon(info.reason, kind,
                  (kind.needs & exit_needs::kInstructionLength) ? info.instruction_length : 0, &e);
  if (kind.needs & exit_needs::kOperands) DecodeVmxOperands(info, &e);
  return e;
}

// A VMLAUNCH/VMRESUME that failed as an instruction (VM-Fail) as an Exit: kEntryFailure with the
// VM-instruction error number as raw_code and the fail kind (1 VMfailValid, 2 VMfailInvalid)
// as raw_info1.
Exit VmFailExit(int fail_kind, u64 vm_instruction_error);

// Human-readable VM-instruction error (SDM vol. 3, 31.4), for logs.
const char* VmInstructionErrorName(u64 error);

}  // namespace pv::vmx

#endif  // PV_VMX_VMX_EXIT_H_
