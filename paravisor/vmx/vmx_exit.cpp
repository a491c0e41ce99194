#include "vmx/vmx_exit.h"

namespace pv::vmx {
namespace {

// I/O exit qualification (SDM table 28-5).
constexpr u64 kIoSizeMask = 0x7;  // size - 1
constexpr u64 kIoIn = 1ull << 3;
constexpr u64 kIoString = 1ull << 4;
constexpr u64 kIoRep = 1ull << 5;

// EPT violation qualification (SDM table 28-7).
constexpr u64 kEptWrite = 1ull << 1;
constexpr u64 kEptFetch = 1ull << 2;
constexpr u64 kEptEntryPermissions = 7ull << 3;  // readable/writable/executable: it was mapped

}  // namespace

Exit DecodeVmxExit(const ExitInfo& info) {
  Exit e;
  e.raw_code = info.reason;
  e.raw_info1 = info.qualification;
  e.raw_info2 = info.guest_physical;
  if (info.reason & exit_reason::kEntryFailureBit) {
    e.reason = ExitReason::kEntryFailure;
    return e;
  }
  // Instruction exits report the instruction's length, so the next RIP is always known here
  // (the VMX counterpart of SVM's NRIP save).
  bool instruction_exit = true;
  const u32 basic = info.reason & 0xffff;
  switch (basic) {
    case exit_reason::kCpuid:
      e.reason = ExitReason::kCpuid;
      break;
    case exit_reason::kHlt:
      e.reason = ExitReason::kHlt;
      break;
    case exit_reason::kInvd:
      e.reason = ExitReason::kCacheInvalidate;
      break;
    case exit_reason::kVmcall:
      e.reason = ExitReason::kHypercall;
      break;
    case exit_reason::kXsetbv:
      e.reason = ExitReason::kXsetbv;
      break;
    case exit_reason::kCrAccess:
      // Qualification (SDM table 28-3): CR number [3:0], access type [5:4], GPR [11:8], LMSW
      // source data [31:16].
      e.reason = ExitReason::kCrAccess;
      e.cr.cr = static_cast<u8>(info.qualification & 0xf);
      e.cr.type = static_cast<CrAccessType>((info.qualification >> 4) & 3);
      e.cr.gpr = static_cast<u8>((info.qualification >> 8) & 0xf);
      e.cr.lmsw_data = static_cast<u16>(info.qualification >> 16);
      break;
    case exit_reason::kExternalInterrupt:
    case exit_reason::kPreemptionTimer:
      // The paravisor's timer tick (external-interrupt exiting), or the VMX-preemption timer
      // standing in for it while the guest runs with interrupts masked; no guest instruction.
      e.reason = ExitReason::kTimerInterrupt;
      instruction_exit = false;
      break;
    case exit_reason::kInterruptWindow:
      // The guest can take the interrupt the paravisor holds for it; no guest instruction.
      e.reason = ExitReason::kInterruptWindow;
      instruction_exit = false;
      break;
    case exit_reason::kMwait:
    case exit_reason::kMonitor:
      // Hidden by CPUID: #UD, like the virtualisation instructions.
      e.reason = ExitReason::kVirtInstruction;
      instruction_exit = false;
      break;
    case exit_reason::kRdmsr:
    case exit_reason::kWrmsr:
      e.reason = basic == exit_reason::kWrmsr ? ExitReason::kMsrWrite : ExitReason::kMsrRead;
      e.msr = static_cast<u32>(info.guest_rcx);
      break;
    case exit_reason::kIo:
      e.reason = ExitReason::kIo;
      e.io.port = static_cast<u16>(info.qualification >> 16);
      e.io.size = static_cast<u8>((info.qualification & kIoSizeMask) + 1);
      e.io.in = info.qualification & kIoIn;
      e.io.string = info.qualification & kIoString;
      e.io.rep = info.qualification & kIoRep;
      break;
    case exit_reason::kInvept:
    case exit_reason::kInvvpid:
    case exit_reason::kVmfunc:
      e.reason = ExitReason::kVirtInstruction;
      instruction_exit = false;  // the handler injects #UD: RIP stays
      break;
    case exit_reason::kEptViolation:
    case exit_reason::kEptMisconfig:
      // A misconfiguration is the paravisor's own table error; it is reported like a
      // violation (raw_code says which) so the guest stops with the faulting address.
      e.reason = ExitReason::kNestedPageFault;
      e.npf.gpa = info.guest_physical;
      e.npf.write = info.qualification & kEptWrite;
      e.npf.fetch = info.qualification & kEptFetch;
      e.npf.present =
          basic == exit_reason::kEptMisconfig || (info.qualification & kEptEntryPermissions) != 0;
      instruction_exit = false;
      break;
    case exit_reason::kTripleFault:
      e.reason = ExitReason::kShutdown;
      instruction_exit = false;
      break;
    case exit_reason::kInvalidGuestState:
    case exit_reason::kMsrLoading:
    case exit_reason::kMachineCheck:
      e.reason = ExitReason::kEntryFailure;
      instruction_exit = false;
      break;
    default:
      if (basic >= exit_reason::kVmclear && basic <= exit_reason::kVmxon) {
        e.reason = ExitReason::kVirtInstruction;
      } else {
        e.reason = ExitReason::kUnknown;
      }
      instruction_exit = false;
      break;
  }
  if (instruction_exit && info.instruction_length != 0) {
    e.next_rip = info.guest_rip + info.instruction_length;
    e.next_rip_valid = true;
  }
  return e;
}

Exit VmFailExit(int fail_kind, u64 vm_instruction_error) {
  Exit e;
  e.reason = ExitReason::kEntryFailure;
  e.raw_code = vm_instruction_error;
  e.raw_info1 = static_cast<u64>(fail_kind);
  return e;
}

const char* VmInstructionErrorName(u64 error) {
  switch (error) {
    case 0:
      return "none recorded (VMfailInvalid: no current VMCS)";
    case 4:
      return "VMLAUNCH with non-clear VMCS";
    case 5:
      return "VMRESUME with non-launched VMCS";
    case 7:
      return "VM entry with invalid control field(s)";
    case 8:
      return "VM entry with invalid host-state field(s)";
    case 12:
      return "VMREAD/VMWRITE of an unsupported VMCS component";
    case 13:
      return "VMWRITE to a read-only VMCS component";
    case 26:
      return "VM entry with events blocked by MOV SS";
    default:
      return "see SDM vol. 3, 31.4";
  }
}

}  // namespace pv::vmx
