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

// What the run loop read from the VMCS for one exit.
struct ExitInfo {
  u32 reason = 0;  // full exit-reason field (basic reason in bits 15:0, entry failure in 31)
  u64 qualification = 0;
  u64 guest_rip = 0;
  u32 instruction_length = 0;  // VM-exit instruction length (valid for instruction exits)
  u64 guest_physical = 0;      // EPT violations/misconfigurations
  u64 guest_rcx = 0;           // RDMSR/WRMSR: the MSR number
};

Exit DecodeVmxExit(const ExitInfo& info);

// A VMLAUNCH/VMRESUME that failed as an instruction (VM-Fail) as an Exit: kEntryFailure with the
// VM-instruction error number as raw_code and the fail kind (1 VMfailValid, 2 VMfailInvalid)
// as raw_info1.
Exit VmFailExit(int fail_kind, u64 vm_instruction_error);

// Human-readable VM-instruction error (SDM vol. 3, 31.4), for logs.
const char* VmInstructionErrorName(u64 error);

}  // namespace pv::vmx

#endif  // PV_VMX_VMX_EXIT_H_
