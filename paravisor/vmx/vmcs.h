// VMCS field encodings (Intel SDM vol. 3, appendix B) and the VMREAD/VMWRITE wrappers.
//
// The wrappers are one instruction on the fast path. VM-Fail (CF or ZF set) branches to an
// out-of-line stub (section .text.vmx_error) that calls an assembly trampoline
// (entry/vmx_run.asm): the trampoline saves every caller-saved GPR, calls the C++ reporter with
// the normal calling convention and restores them, so the inline asm needs no clobbers beyond
// the flags and the compiler may keep anything live across it. A failed VMREAD yields 0.
#ifndef PV_VMX_VMCS_H_
#define PV_VMX_VMCS_H_

#include "lib/types.h"

extern "C" {
// Called by the trampolines (entry/vmx_run.asm) with the normal calling convention.
void pv_vmx_vmread_error(pv::u64 field);
void pv_vmx_vmwrite_error(pv::u64 field, pv::u64 value);
}

namespace pv::vmx {

namespace field {
// 16-bit
constexpr u32 kGuestEsSelector = 0x0800;
constexpr u32 kGuestCsSelector = 0x0802;
constexpr u32 kGuestSsSelector = 0x0804;
constexpr u32 kGuestDsSelector = 0x0806;
constexpr u32 kGuestFsSelector = 0x0808;
constexpr u32 kGuestGsSelector = 0x080a;
constexpr u32 kGuestLdtrSelector = 0x080c;
constexpr u32 kGuestTrSelector = 0x080e;
constexpr u32 kHostEsSelector = 0x0c00;
constexpr u32 kHostCsSelector = 0x0c02;
constexpr u32 kHostSsSelector = 0x0c04;
constexpr u32 kHostDsSelector = 0x0c06;
constexpr u32 kHostFsSelector = 0x0c08;
constexpr u32 kHostGsSelector = 0x0c0a;
constexpr u32 kHostTrSelector = 0x0c0c;
// 64-bit
constexpr u32 kIoBitmapA = 0x2000;
constexpr u32 kIoBitmapB = 0x2002;
constexpr u32 kMsrBitmap = 0x2004;
constexpr u32 kEptPointer = 0x201a;
constexpr u32 kGuestPhysicalAddress = 0x2400;
constexpr u32 kVmcsLinkPointer = 0x2800;
constexpr u32 kGuestDebugctl = 0x2802;
constexpr u32 kGuestPat = 0x2804;
constexpr u32 kGuestEfer = 0x2806;
constexpr u32 kHostPat = 0x2c00;
constexpr u32 kHostEfer = 0x2c02;
// 32-bit
constexpr u32 kPinControls = 0x4000;
constexpr u32 kProcControls = 0x4002;
constexpr u32 kExceptionBitmap = 0x4004;
constexpr u32 kCr3TargetCount = 0x400a;
constexpr u32 kExitControls = 0x400c;
constexpr u32 kExitMsrStoreCount = 0x400e;
constexpr u32 kExitMsrLoadCount = 0x4010;
constexpr u32 kEntryControls = 0x4012;
constexpr u32 kEntryMsrLoadCount = 0x4014;
constexpr u32 kEntryInterruptionInfo = 0x4016;
constexpr u32 kEntryExceptionErrorCode = 0x4018;
constexpr u32 kEntryInstructionLength = 0x401a;
constexpr u32 kProcControls2 = 0x401e;
constexpr u32 kVmInstructionError = 0x4400;
constexpr u32 kExitReason = 0x4402;
constexpr u32 kIdtVectoringInfo = 0x4408;
constexpr u32 kIdtVectoringErrorCode = 0x440a;
constexpr u32 kExitInstructionLength = 0x440c;
constexpr u32 kGuestEsLimit = 0x4800;  // ES..TR limits follow at +2 each, then GDTR, IDTR
constexpr u32 kGuestGdtrLimit = 0x4810;
constexpr u32 kGuestIdtrLimit = 0x4812;
constexpr u32 kGuestEsAccessRights = 0x4814;  // ES..TR access rights at +2 each
constexpr u32 kGuestInterruptibility = 0x4824;
constexpr u32 kGuestPreemptionTimer = 0x482e;
constexpr u32 kGuestActivityState = 0x4826;
constexpr u32 kGuestSysenterCs = 0x482a;
constexpr u32 kHostSysenterCs = 0x4c00;
// natural width
constexpr u32 kCr0GuestHostMask = 0x6000;
constexpr u32 kCr4GuestHostMask = 0x6002;
constexpr u32 kCr0ReadShadow = 0x6004;
constexpr u32 kCr4ReadShadow = 0x6006;
constexpr u32 kExitQualification = 0x6400;
constexpr u32 kGuestCr0 = 0x6800;
constexpr u32 kGuestCr3 = 0x6802;
constexpr u32 kGuestCr4 = 0x6804;
constexpr u32 kGuestEsBase = 0x6806;  // ES..TR bases at +2 each
constexpr u32 kGuestGdtrBase = 0x6816;
constexpr u32 kGuestIdtrBase = 0x6818;
constexpr u32 kGuestDr7 = 0x681a;
constexpr u32 kGuestRsp = 0x681c;
constexpr u32 kGuestRip = 0x681e;
constexpr u32 kGuestRflags = 0x6820;
constexpr u32 kGuestPendingDebug = 0x6822;
constexpr u32 kGuestSysenterEsp = 0x6824;
constexpr u32 kGuestSysenterEip = 0x6826;
constexpr u32 kHostCr0 = 0x6c00;
constexpr u32 kHostCr3 = 0x6c02;
constexpr u32 kHostCr4 = 0x6c04;
constexpr u32 kHostFsBase = 0x6c06;
constexpr u32 kHostGsBase = 0x6c08;
constexpr u32 kHostTrBase = 0x6c0a;
constexpr u32 kHostGdtrBase = 0x6c0c;
constexpr u32 kHostIdtrBase = 0x6c0e;
constexpr u32 kHostSysenterEsp = 0x6c10;
constexpr u32 kHostSysenterEip = 0x6c12;
constexpr u32 kHostRsp = 0x6c14;
constexpr u32 kHostRip = 0x6c16;
}  // namespace field

// Segment register order of the guest-state fields (encoding = ES field + 2 * index).
enum Segment : u32 { kEs = 0, kCs, kSs, kDs, kFs, kGs, kLdtr, kTr };

inline u64 VmRead(u64 encoding) {
  u64 value;
  asm volatile(
      "vmread %[field], %[value]\n\t"
      "jna 2f\n"
      "1:\n\t"
      ".pushsection .text.vmx_error, \"ax\"\n"
      "2:\n\t"
      "push %[field]\n\t"  // argument in, result (0) out through this slot
      "call pv_vmx_vmread_error_trampoline\n\t"
      "pop %[value]\n\t"
      "jmp 1b\n\t"
      ".popsection"
      : [value] "=&r"(value)
      : [field] "r"(encoding)
      : "cc");
  return value;
}

inline void VmWrite(u64 encoding, u64 value) {
  asm volatile(
      "vmwrite %[value], %[field]\n\t"
      "jna 2f\n"
      "1:\n\t"
      ".pushsection .text.vmx_error, \"ax\"\n"
      "2:\n\t"
      "push %[value]\n\t"
      "push %[field]\n\t"
      "call pv_vmx_vmwrite_error_trampoline\n\t"
      "add $16, %%rsp\n\t"
      "jmp 1b\n\t"
      ".popsection"
      :
      : [field] "r"(encoding), [value] "r"(value)
      : "cc", "memory");
}

// VMREAD/VMWRITE failures since boot (the reporters count them): setup code compares the count
// before and after programming a VMCS to turn any failure into an error.
u64 VmcsAccessFailures();

}  // namespace pv::vmx

#endif  // PV_VMX_VMCS_H_
