#include "vmx/vmx.h"

#include "arch/cpu.h"
#include "lib/log.h"
#include "mm/page_alloc.h"

namespace pv::vmx {
namespace {

constexpr u32 kMsrFeatureControl = 0x3a;
constexpr u64 kFeatureControlLock = 1ull << 0;
constexpr u64 kFeatureControlVmxOutsideSmx = 1ull << 2;
constexpr u32 kMsrVmxBasic = 0x480;
constexpr u32 kMsrPinCtls = 0x481, kMsrProcCtls = 0x482, kMsrExitCtls = 0x483;
constexpr u32 kMsrEntryCtls = 0x484;
constexpr u32 kMsrCr0Fixed0 = 0x486, kMsrCr0Fixed1 = 0x487;
constexpr u32 kMsrCr4Fixed0 = 0x488, kMsrCr4Fixed1 = 0x489;
constexpr u32 kMsrProcCtls2 = 0x48b, kMsrEptVpidCap = 0x48c;
constexpr u32 kMsrTruePinCtls = 0x48d, kMsrTrueProcCtls = 0x48e, kMsrTrueExitCtls = 0x48f;
constexpr u32 kMsrTrueEntryCtls = 0x490;
constexpr u64 kBasicTrueControls = 1ull << 55;

constexpr u64 kCr4Vmxe = 1ull << 13;

// Wanted controls (SDM vol. 3, 25.6 and 25.7/25.8).
constexpr u32 kPinExternalInterruptExiting = 1u << 0;
constexpr u32 kPinPreemptionTimer = 1u << 6;  // optional: reaches guests that run with IF=0
constexpr u32 kMsrVmxMisc = 0x485;
constexpr u32 kProcHltExiting = 1u << 7;
constexpr u32 kProcMwaitExiting = 1u << 10;
constexpr u32 kProcCr8LoadExiting = 1u << 19;
constexpr u32 kProcCr8StoreExiting = 1u << 20;
constexpr u32 kProcMonitorExiting = 1u << 29;
constexpr u32 kProcUseIoBitmaps = 1u << 25;
constexpr u32 kProcUseMsrBitmaps = 1u << 28;
constexpr u32 kProcActivateSecondary = 1u << 31;
constexpr u32 kProc2EnableEpt = 1u << 1;
constexpr u32 kProc2EnableRdtscp = 1u << 3;    // optional: TSC_AUX/RDTSCP stay the guest's
constexpr u32 kProc2EnableInvpcid = 1u << 12;  // optional: CPUID hides INVPCID without it
constexpr u32 kExitSaveDebugControls = 1u << 2;
constexpr u32 kExitHostAddressSpaceSize = 1u << 9;
constexpr u32 kExitSavePat = 1u << 18, kExitLoadPat = 1u << 19;
constexpr u32 kExitSaveEfer = 1u << 20, kExitLoadEfer = 1u << 21;
constexpr u32 kEntryLoadDebugControls = 1u << 2;
constexpr u32 kEntryIa32eGuest = 1u << 9;
constexpr u32 kEntryLoadPat = 1u << 14, kEntryLoadEfer = 1u << 15;

// EPT capabilities the backend relies on (IA32_VMX_EPT_VPID_CAP).
constexpr u64 kEptWalk4 = 1ull << 6, kEptWriteBack = 1ull << 14, kEptLarge2M = 1ull << 16;

// (want | must-be-one) & may-be-one; fails if a required bit may not be one.
Result<u32> Reconcile(u32 msr, u32 required, u32 optional, const char* what) {
  const u64 cap = arch::Rdmsr(msr);
  const u32 allowed0 = static_cast<u32>(cap), allowed1 = static_cast<u32>(cap >> 32);
  if ((required & ~allowed1) != 0) {
    Log("vmx: %s controls: need 0x%x, CPU allows 0x%x", what, required, allowed1);
    return Status(Err::kUnsupported, "vmx: a required VM-execution/exit/entry control is missing");
  }
  return (required | (optional & allowed1) | allowed0) & allowed1;
}

}  // namespace

bool VmxPresent() {
  return (arch::Cpuid(1).ecx & (1u << 5)) != 0;
}

Result<Capabilities> EnableVmx(HostState* host) {
  if (!VmxPresent()) {
    return Status(Err::kUnsupported, "vmx: CPU has no VMX (Bochs: cpu model=corei7_skylake_x)");
  }
  Capabilities caps;
  const u64 basic = arch::Rdmsr(kMsrVmxBasic);
  caps.revision = static_cast<u32>(basic) & 0x7fffffff;
  caps.true_controls = basic & kBasicTrueControls;

  u64 feature = arch::Rdmsr(kMsrFeatureControl);
  if (!(feature & kFeatureControlLock)) {
    feature |= kFeatureControlVmxOutsideSmx | kFeatureControlLock;
    arch::Wrmsr(kMsrFeatureControl, feature);
  }
  if (!(feature & kFeatureControlVmxOutsideSmx)) {
    return Status(Err::kUnsupported, "vmx: disabled by firmware (IA32_FEATURE_CONTROL locked)");
  }

  const bool t = caps.true_controls;
  Controls& c = caps.controls;
  PV_TRY_ASSIGN(c.pin, Reconcile(t ? kMsrTruePinCtls : kMsrPinCtls, kPinExternalInterruptExiting,
                                 kPinPreemptionTimer, "pin-based"));
  caps.preemption_timer = (c.pin & kPinPreemptionTimer) != 0;
  caps.preemption_timer_shift = static_cast<u8>(arch::Rdmsr(kMsrVmxMisc) & 0x1f);
  PV_TRY_ASSIGN(c.proc,
                Reconcile(t ? kMsrTrueProcCtls : kMsrProcCtls,
                          // MWAIT/MONITOR: hidden by CPUID, so #UD. CR8: a guest TPR
                          // write must not reach the physical APIC, whose TPR could
                          // then block the paravisor's own timer tick.
                          kProcHltExiting | kProcUseIoBitmaps | kProcUseMsrBitmaps |
                              kProcActivateSecondary | kProcMwaitExiting | kProcMonitorExiting |
                              kProcCr8LoadExiting | kProcCr8StoreExiting,
                          0, "processor-based"));
  c.proc_allowed1 = static_cast<u32>(arch::Rdmsr(t ? kMsrTrueProcCtls : kMsrProcCtls) >> 32);
  PV_TRY_ASSIGN(c.proc2, Reconcile(kMsrProcCtls2, kProc2EnableEpt,
                                   kProc2EnableRdtscp | kProc2EnableInvpcid, "secondary"));
  PV_TRY_ASSIGN(c.exit, Reconcile(t ? kMsrTrueExitCtls : kMsrExitCtls,
                                  // DR7 and DEBUGCTL through the VMCS: a guest's armed
                                  // breakpoints survive every exit.
                                  kExitHostAddressSpaceSize | kExitSaveEfer | kExitLoadEfer |
                                      kExitSavePat | kExitLoadPat | kExitSaveDebugControls,
                                  0, "VM-exit"));
  PV_TRY_ASSIGN(c.entry, Reconcile(t ? kMsrTrueEntryCtls : kMsrEntryCtls,
                                   kEntryIa32eGuest | kEntryLoadEfer | kEntryLoadPat |
                                       kEntryLoadDebugControls,
                                   0, "VM-entry"));
  caps.ept_vpid_cap = arch::Rdmsr(kMsrEptVpidCap);
  const u64 ept_needed = kEptWalk4 | kEptWriteBack | kEptLarge2M;
  if ((caps.ept_vpid_cap & ept_needed) != ept_needed) {
    return Status(Err::kUnsupported, "vmx: EPT lacks 4-level walks, write-back or 2 MiB pages");
  }

  caps.cr0_fixed0 = arch::Rdmsr(kMsrCr0Fixed0);
  caps.cr0_fixed1 = arch::Rdmsr(kMsrCr0Fixed1);
  caps.cr4_fixed0 = arch::Rdmsr(kMsrCr4Fixed0);
  caps.cr4_fixed1 = arch::Rdmsr(kMsrCr4Fixed1);

  // VMX operation requires these bits (CR0.NE in particular is clear after the BIOS).
  arch::WriteCr0((arch::ReadCr0() | caps.cr0_fixed0) & caps.cr0_fixed1);
  arch::WriteCr4((arch::ReadCr4() | caps.cr4_fixed0 | kCr4Vmxe) & caps.cr4_fixed1);

  PV_TRY_ASSIGN(host->vmxon_pa, mm::AllocPages(1));
  *mm::PhysToVirt<u32>(host->vmxon_pa) = caps.revision;
  u8 failed;
  asm volatile("vmxon %[region]\n\tsetna %[failed]"
               : [failed] "=qm"(failed)
               : [region] "m"(host->vmxon_pa)
               : "cc", "memory");
  if (failed) return Status(Err::kHardware, "vmx: VMXON failed");
  return caps;
}

}  // namespace pv::vmx
