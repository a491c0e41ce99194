#include "vmx/vmx_vcpu.h"

#include "arch/cpu.h"
#include "arch/descriptors.h"
#include "arch/event_timer.h"
#include "exits/handlers.h"
#include "exits/msr_policy.h"
#include "guest/abi.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_exit.h"

namespace pv::vmx {
namespace {

constexpr u64 kIoBitmapPages = 2;

// Access rights (SDM 25.4.1): type, S, DPL, P, AVL, L, D/B, G; bit 16 = unusable.
constexpr u32 kArCode64 = 0xa09b;
constexpr u32 kArData = 0xc093;
constexpr u32 kArTssBusy = 0x008b;
constexpr u32 kArUnusable = 0x10000;

// VM-entry interruption information / IDT-vectoring information (SDM 25.8.3, 28.2.4).
constexpr u32 kEventTypeHardwareException = 3u << 8;
constexpr u32 kEventDeliverErrorCode = 1u << 11;
constexpr u32 kEventValid = 1u << 31;
constexpr u32 kEventTypeMask = 7u << 8;
constexpr u32 kEventReservedNmiUnblocking = 1u << 12;  // IDT-vectoring bit 12: not for entry

constexpr u32 kProcRdtscExiting = 1u << 12;
constexpr u64 kBlockingByStiOrMovSs = 0x3;  // guest interruptibility state bits 0 and 1

// MSRs VMX does not switch, which the guest nevertheless owns directly (kPassthroughMsrs): the
// paravisor never uses SYSCALL or SWAPGS, so their values matter only to the guest, and they are
// reset for each new guest so none sees a predecessor's.
constexpr u32 kGuestOwnedUnswitchedMsrs[] = {arch::kMsrStar, arch::kMsrLstar, arch::kMsrCstar,
                                             arch::kMsrSfmask, arch::kMsrKernelGsBase};

bool Vmclear(u64 pa) {
  u8 failed;
  asm volatile("vmclear %[pa]\n\tsetna %[failed]"
               : [failed] "=qm"(failed)
               : [pa] "m"(pa)
               : "cc", "memory");
  return !failed;
}

bool Vmptrld(u64 pa) {
  u8 failed;
  asm volatile("vmptrld %[pa]\n\tsetna %[failed]"
               : [failed] "=qm"(failed)
               : [pa] "m"(pa)
               : "cc", "memory");
  return !failed;
}

// MSR bitmap (SDM 25.6.9): read bitmaps for 0..0x1fff and 0xc0000000..0xc0001fff, then the
// write bitmaps likewise; MSRs outside both ranges always exit.
bool MsrBitmapBit(u32 msr, bool write, u64* byte, u8* bit) {
  u64 base;
  u32 index;
  if (msr <= 0x1fff) {
    base = 0x000, index = msr;
  } else if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
    base = 0x400, index = msr - 0xc0000000;
  } else {
    return false;
  }
  *byte = base + (write ? 0x800 : 0) + index / 8;
  *bit = static_cast<u8>(index % 8);
  return true;
}

void WriteSegment(Segment s, u16 selector, u32 access_rights, u32 limit, u64 base) {
  VmWrite(field::kGuestEsSelector + 2 * s, selector);
  VmWrite(field::kGuestEsAccessRights + 2 * s, access_rights);
  VmWrite(field::kGuestEsLimit + 2 * s, limit);
  VmWrite(field::kGuestEsBase + 2 * s, base);
}

void WriteGuestState(const VmxVcpu& vmx, const Capabilities& caps, const GuestEntryState& e) {
  WriteSegment(kCs, e.code_selector, kArCode64, 0xffffffff, 0);
  WriteSegment(kDs, e.data_selector, kArData, 0xffffffff, 0);
  WriteSegment(kEs, e.data_selector, kArData, 0xffffffff, 0);
  WriteSegment(kSs, e.data_selector, kArData, 0xffffffff, 0);
  WriteSegment(kFs, 0, kArUnusable, 0, 0);
  WriteSegment(kGs, 0, kArUnusable, 0, 0);
  WriteSegment(kLdtr, 0, kArUnusable, 0, 0);
  WriteSegment(kTr, e.tss_selector, kArTssBusy, e.tss_limit, e.tss_base);
  VmWrite(field::kGuestGdtrBase, e.gdt_base);
  VmWrite(field::kGuestGdtrLimit, e.gdt_limit);
  VmWrite(field::kGuestIdtrBase, 0);  // no IDT until the guest loads one: faults triple-fault
  VmWrite(field::kGuestIdtrLimit, 0);

  // VMX requires the fixed CR0/CR4 bits in the guest too (CR4.VMXE); the guest/host masks and
  // read shadows hide those the guest did not ask for, and a guest write to a masked bit exits.
  // e.cr0 is the documented value exactly (no CD/NW); only the bits VMX forces are added.
  VmWrite(field::kGuestCr0, (e.cr0 | caps.cr0_fixed0) & caps.cr0_fixed1);
  VmWrite(field::kCr0GuestHostMask, vmx.cr0_guest_owned_mask);
  VmWrite(field::kCr0ReadShadow, e.cr0);
  VmWrite(field::kGuestCr4, (e.cr4 | caps.cr4_fixed0) & caps.cr4_fixed1);
  VmWrite(field::kCr4GuestHostMask, vmx.cr4_guest_owned_mask);
  VmWrite(field::kCr4ReadShadow, e.cr4);
  VmWrite(field::kGuestCr3, e.cr3);
  VmWrite(field::kGuestDr7, 0x400);
  VmWrite(field::kGuestRsp, e.rsp);
  VmWrite(field::kGuestRip, e.rip);
  VmWrite(field::kGuestRflags, 0x2);
  VmWrite(field::kGuestEfer, e.efer);
  VmWrite(field::kGuestPat, e.pat);
  VmWrite(field::kGuestDebugctl, 0);
  VmWrite(field::kGuestSysenterCs, 0);
  VmWrite(field::kGuestSysenterEsp, 0);
  VmWrite(field::kGuestSysenterEip, 0);
  VmWrite(field::kGuestInterruptibility, 0);
  VmWrite(field::kGuestActivityState, 0);
  VmWrite(field::kGuestPendingDebug, 0);
  // Without "save preemption timer value" the count reloads from here at every entry: a guest
  // that runs one tick period (arch/event_timer.h) without exiting exits, even with IF=0, where
  // an emulator may hold the external interrupt back.
  if (caps.preemption_timer) {
    const u64 ticks = (arch::TscTicksPerMs() * arch::kTimerTickMs) >> caps.preemption_timer_shift;
    VmWrite(field::kGuestPreemptionTimer, ticks > 0xffffffffull ? 0xffffffffull : ticks);
  }
  VmWrite(field::kVmcsLinkPointer, ~0ull);
}

void WriteHostState() {
  VmWrite(field::kHostCr0, arch::ReadCr0());
  VmWrite(field::kHostCr3, arch::ReadCr3());
  VmWrite(field::kHostCr4, arch::ReadCr4());
  VmWrite(field::kHostCsSelector, arch::kCodeSelector);
  VmWrite(field::kHostSsSelector, arch::kDataSelector);
  VmWrite(field::kHostDsSelector, arch::kDataSelector);
  VmWrite(field::kHostEsSelector, arch::kDataSelector);
  VmWrite(field::kHostFsSelector, 0);
  VmWrite(field::kHostGsSelector, 0);
  VmWrite(field::kHostTrSelector, arch::kTssSelector);  // must not be null
  VmWrite(field::kHostFsBase, arch::Rdmsr(arch::kMsrFsBase));
  VmWrite(field::kHostGsBase, arch::Rdmsr(arch::kMsrGsBase));
  VmWrite(field::kHostTrBase, arch::TssBase());
  VmWrite(field::kHostGdtrBase, arch::CurrentGdtr().base);
  VmWrite(field::kHostIdtrBase, arch::CurrentIdtr().base);
  VmWrite(field::kHostSysenterCs, 0);
  VmWrite(field::kHostSysenterEsp, 0);
  VmWrite(field::kHostSysenterEip, 0);
  VmWrite(field::kHostEfer, arch::Rdmsr(arch::kMsrEfer));
  VmWrite(field::kHostPat, arch::Rdmsr(arch::kMsrPat));
  // Set once: the exit label lives only in entry/vmx_run.asm. HOST_RSP is the run code's.
  VmWrite(field::kHostRip, reinterpret_cast<u64>(&pv_vmx_exit_label));
}

void WriteControls(const VmxVcpu& vmx) {
  const Controls& c = vmx.controls;
  VmWrite(field::kPinControls, c.pin);
  VmWrite(field::kProcControls, c.proc);
  VmWrite(field::kProcControls2, c.proc2);
  VmWrite(field::kExitControls, c.exit);
  VmWrite(field::kEntryControls, c.entry);
  VmWrite(field::kExceptionBitmap, 0);  // guest exceptions stay the guest's; a triple fault exits
  VmWrite(field::kCr3TargetCount, 0);
  VmWrite(field::kExitMsrStoreCount, 0);
  VmWrite(field::kExitMsrLoadCount, 0);
  VmWrite(field::kEntryMsrLoadCount, 0);
  VmWrite(field::kEntryInterruptionInfo, 0);
  VmWrite(field::kIoBitmapA, vmx.io_bitmaps_pa);
  VmWrite(field::kIoBitmapB, vmx.io_bitmaps_pa + kPageSize);
  VmWrite(field::kMsrBitmap, vmx.msr_bitmap_pa);
  VmWrite(field::kEptPointer, vmx.ept.eptp);
}

// Guest state the handlers may have changed, into the VMCS before the next entry.
void LoadGuestState(Vcpu& vcpu, VmxVcpu& vmx) {
  VmWrite(field::kGuestRip, vcpu.rip);
  VmWrite(field::kGuestRsp, vcpu.gpr(kRsp));
  VmWrite(field::kGuestRflags, vcpu.rflags);
  // The shared MSR handler keeps EFER.SVME set (an SVM requirement); Intel has no such bit.
  const u64 efer = vcpu.paging.efer & ~arch::kEferSvme;
  if (efer != vmx.loaded_efer) {
    VmWrite(field::kGuestEfer, efer);
    vmx.loaded_efer = efer;
  }
  if (vcpu.pat != vmx.loaded_pat) {
    VmWrite(field::kGuestPat, vcpu.pat);
    vmx.loaded_pat = vcpu.pat;
  }
  if (vcpu.pending.valid) {
    VmWrite(field::kEntryInterruptionInfo,
            vcpu.pending.vector | kEventTypeHardwareException | kEventValid |
                (vcpu.pending.has_error_code ? kEventDeliverErrorCode : 0));
    if (vcpu.pending.has_error_code)
      VmWrite(field::kEntryExceptionErrorCode, vcpu.pending.error_code);
    vcpu.pending.valid = false;
  }
}

// After an exit: the handler-visible state, and re-delivery of an event the exit interrupted.
void SaveGuestState(Vcpu& vcpu, VmxVcpu& vmx, const ExitInfo& info) {
  vcpu.rip = info.guest_rip;
  vcpu.gpr(kRsp) = VmRead(field::kGuestRsp);
  vcpu.rflags = VmRead(field::kGuestRflags);
  vmx.loaded_efer = VmRead(field::kGuestEfer);
  vmx.loaded_pat = VmRead(field::kGuestPat);
  vcpu.paging = {VmRead(field::kGuestCr0), VmRead(field::kGuestCr3), VmRead(field::kGuestCr4),
                 vmx.loaded_efer};
  vcpu.pat = vmx.loaded_pat;
  vcpu.cpl = static_cast<u8>((VmRead(field::kGuestEsAccessRights + 2 * kSs) >> 5) & 3);
  const u64 vectoring = VmRead(field::kIdtVectoringInfo);
  if (vectoring & kEventValid) {
    VmWrite(field::kEntryInterruptionInfo, vectoring & ~u64{kEventReservedNmiUnblocking});
    if (vectoring & kEventDeliverErrorCode)
      VmWrite(field::kEntryExceptionErrorCode, VmRead(field::kIdtVectoringErrorCode));
    if ((vectoring & kEventTypeMask) >= (4u << 8))  // software interrupt/exception
      VmWrite(field::kEntryInstructionLength, info.instruction_length);
  }
}

// For a control-register exit: CR0/CR4 as the guest sees them (masked bits from the shadows).
void ReadGuestVisibleCrs(Vcpu& vcpu, const VmxVcpu& vmx) {
  vcpu.cr.cr0 = (vcpu.paging.cr0 & ~vmx.cr0_guest_owned_mask) |
                (VmRead(field::kCr0ReadShadow) & vmx.cr0_guest_owned_mask);
  vcpu.cr.cr4 = (vcpu.paging.cr4 & ~vmx.cr4_guest_owned_mask) |
                (VmRead(field::kCr4ReadShadow) & vmx.cr4_guest_owned_mask);
}

// A write the CR handler allowed: the guest's value in the read shadow, the hardware value
// with the bits VMX operation forces (CR0.NE/PE/PG, CR4.VMXE).
void ApplyCrWrite(Vcpu& vcpu, const VmxVcpu& vmx) {
  vcpu.cr.write_pending = false;
  const u64 v = vcpu.cr.write_value;
  if (vcpu.cr.write_cr == 0) {
    const u64 hw = (v | vmx.cr0_fixed0) & vmx.cr0_fixed1;
    VmWrite(field::kGuestCr0, hw);
    VmWrite(field::kCr0ReadShadow, v);
    vcpu.paging.cr0 = hw;
  } else if (vcpu.cr.write_cr == 4) {
    const u64 hw = (v | vmx.cr4_fixed0) & vmx.cr4_fixed1;
    VmWrite(field::kGuestCr4, hw);
    VmWrite(field::kCr4ReadShadow, v);
    vcpu.paging.cr4 = hw;
  }
}

ExitInfo ReadExitInfo(const Vcpu& vcpu) {
  ExitInfo info;
  info.reason = static_cast<u32>(VmRead(field::kExitReason));
  info.qualification = VmRead(field::kExitQualification);
  info.guest_rip = VmRead(field::kGuestRip);
  info.instruction_length = static_cast<u32>(VmRead(field::kExitInstructionLength));
  const u32 basic = info.reason & 0xffff;
  if (basic == exit_reason::kEptViolation || basic == exit_reason::kEptMisconfig)
    info.guest_physical = VmRead(field::kGuestPhysicalAddress);
  info.guest_rcx = vcpu.run.gprs[kRcx];
  return info;
}

}  // namespace

void SetMsrIntercept(VmxVcpu& vmx, u32 msr, bool read, bool write) {
  u8* map = mm::PhysToVirt<u8>(vmx.msr_bitmap_pa);
  u64 byte;
  u8 bit;
  if (MsrBitmapBit(msr, false, &byte, &bit))
    map[byte] = read ? (map[byte] | (1u << bit)) : (map[byte] & ~(1u << bit));
  if (MsrBitmapBit(msr, true, &byte, &bit))
    map[byte] = write ? (map[byte] | (1u << bit)) : (map[byte] & ~(1u << bit));
}

void InterceptRdtsc(VmxVcpu& vmx) {
  vmx.controls.proc |= kProcRdtscExiting & vmx.controls.proc_allowed1;
  VmWrite(field::kProcControls, vmx.controls.proc);
}

Status SetupVmxVcpu(Vcpu& vcpu, VmxVcpu& vmx, const Capabilities& caps,
                    const GuestEntryState& entry) {
  vmx.controls = caps.controls;
  PV_TRY_ASSIGN(vmx.vmcs_pa, mm::AllocPages(1));
  *mm::PhysToVirt<u32>(vmx.vmcs_pa) = caps.revision;
  PV_TRY_ASSIGN(vmx.io_bitmaps_pa, mm::AllocPages(kIoBitmapPages));
  PV_TRY_ASSIGN(vmx.msr_bitmap_pa, mm::AllocPages(1));
  PV_TRY_ASSIGN(vmx.ept, BuildExtendedPageTables(vcpu.memory.host_pa(), vcpu.memory.size()));

  // Every port and MSR exits, except the MSRs the VMCS switches (FS/GS base, SYSENTER), the
  // unswitched ones the guest owns (reset below) and SPEC_CTRL, which the world switch handles.
  memset(mm::PhysToVirt<void>(vmx.io_bitmaps_pa), 0xff, kIoBitmapPages * kPageSize);
  memset(mm::PhysToVirt<void>(vmx.msr_bitmap_pa), 0xff, kPageSize);
  for (u32 msr : kPassthroughMsrs) SetMsrIntercept(vmx, msr, false, false);
  SetMsrIntercept(vmx, kSpecCtrlMsr, false, false);
  for (u32 msr : kGuestOwnedUnswitchedMsrs) arch::Wrmsr(msr, 0);
  if (kTscAuxIsGuestOwned) {
    SetMsrIntercept(vmx, kMsrTscAux, false, false);
    arch::Wrmsr(kMsrTscAux, 0);  // no guest sees a predecessor's RDTSCP value
  }

  // Control-register bits the guest may not change without an exit (exits/cr_policy.h decides):
  // the ones VMX forces either way, and SMXE, which CPUID hides even where the CPU has SMX.
  vmx.cr0_guest_owned_mask = caps.cr0_fixed0 | ~caps.cr0_fixed1;
  vmx.cr4_guest_owned_mask = caps.cr4_fixed0 | ~caps.cr4_fixed1 | arch::kCr4Smxe;
  vmx.cr0_fixed0 = caps.cr0_fixed0;
  vmx.cr0_fixed1 = caps.cr0_fixed1;
  vmx.cr4_fixed0 = caps.cr4_fixed0;
  vmx.cr4_fixed1 = caps.cr4_fixed1;
  vcpu.cr.cr4_supported = caps.cr4_fixed1;

  // VMCLEAR initialises the region and makes its launch state "clear": VMLAUNCH next.
  if (!Vmclear(vmx.vmcs_pa) || !Vmptrld(vmx.vmcs_pa)) {
    return Status(Err::kHardware, "vmx: VMCLEAR/VMPTRLD of a new VMCS failed");
  }
  vcpu.run.launched = 0;
  vcpu.run.host_rsp = 0;
  const u64 failures_before = VmcsAccessFailures();
  WriteControls(vmx);
  WriteHostState();
  WriteGuestState(vmx, caps, entry);
  if (VmcsAccessFailures() != failures_before) {
    return Status(Err::kHardware, "vmx: programming the VMCS failed (VMWRITE error logged)");
  }
  vmx.loaded_efer = entry.efer;
  vmx.loaded_pat = entry.pat;

  vcpu.backend = Backend::kVmx;
  vcpu.backend_state = &vmx;
  vcpu.run.guest_state_pa = vmx.vmcs_pa;
  vcpu.run.spec_ctrl_intercepted = 0;
  vcpu.gpr(kRdi) = entry.rdi;
  vcpu.gpr(kRsi) = entry.rsi;
  vcpu.gpr(kRsp) = entry.rsp;
  vcpu.rip = entry.rip;
  vcpu.rflags = 0x2;
  vcpu.paging = {entry.cr0, entry.cr3, (entry.cr4 | caps.cr4_fixed0) & caps.cr4_fixed1, entry.efer};
  vcpu.pat = entry.pat;
  return Status::Ok();
}

void TeardownVmxVcpu(Vcpu& vcpu, VmxVcpu& vmx) {
  // VMCLEAR writes back any cached VMCS data and makes the region inactive before it is freed.
  if (vmx.vmcs_pa && !Vmclear(vmx.vmcs_pa)) Log("vmx: VMCLEAR at teardown failed");
  vcpu.run.launched = 0;
  vcpu.run.host_rsp = 0;
  FreeExtendedPageTables(vmx.ept);
  if (vmx.msr_bitmap_pa) mm::FreePages(vmx.msr_bitmap_pa, 1);
  if (vmx.io_bitmaps_pa) mm::FreePages(vmx.io_bitmaps_pa, kIoBitmapPages);
  if (vmx.vmcs_pa) mm::FreePages(vmx.vmcs_pa, 1);
  vmx = VmxVcpu{};
}

void RunVmxVcpu(Vcpu& vcpu) {
  VmxVcpu& vmx = *static_cast<VmxVcpu*>(vcpu.backend_state);
  for (;;) {
    LoadGuestState(vcpu, vmx);
    if (vcpu.irq.enabled) PrepareVmxInterrupt(vcpu, vmx);

    const int fail = pv_vmx_run(&vcpu.run);

    Exit exit;
    if (fail != 0) {
      // VM-Fail: the instruction itself failed; the guest did not run and its state is as it was.
      const u64 error = fail == 1 ? VmRead(field::kVmInstructionError) : 0;
      Log("vmx: guest %u: %s failed (%s): VM-instruction error %lu: %s", vcpu.guest_index,
          vcpu.run.launched ? "VMRESUME" : "VMLAUNCH", fail == 1 ? "VMfailValid" : "VMfailInvalid",
          error, VmInstructionErrorName(error));
      exit = VmFailExit(fail, error);
    } else {
      const ExitInfo info = ReadExitInfo(vcpu);
      if (info.reason & exit_reason::kEntryFailureBit) {
        Log("vmx: guest %u: VM-entry failure, exit reason %u (0x%x), qualification 0x%lx",
            vcpu.guest_index, info.reason & 0xffff, info.reason, info.qualification);
      } else {
        vcpu.run.launched = 1;  // only after an entry that really happened
      }
      SaveGuestState(vcpu, vmx, info);
      exit = DecodeVmxExit(info);
      if (exit.reason == ExitReason::kCrAccess) ReadGuestVisibleCrs(vcpu, vmx);
    }

    const ExitAction action = ProcessExit(vcpu, exit);
    if (action == ExitAction::kStop) return;
    if (vcpu.cr.write_pending) ApplyCrWrite(vcpu, vmx);
    if (action == ExitAction::kResumeNext) {
      // Skipping the instruction ends any STI / MOV SS interrupt shadow it was in (a HLT right
      // after STI exits inside the shadow); keeping it would shadow the wrong instruction.
      const u64 interruptibility = VmRead(field::kGuestInterruptibility);
      if (interruptibility & kBlockingByStiOrMovSs)
        VmWrite(field::kGuestInterruptibility, interruptibility & ~kBlockingByStiOrMovSs);
    }
  }
}

u64 BareRoundTrips(Vcpu& vcpu, u64 rip, u64 count) {
  // The first entry starts at the VMCALL; every exit is at that VMCALL (0F 01 C1), and each
  // re-entry resumes just past it, at the guest's JMP back to it.
  VmWrite(field::kGuestRip, rip);
  const u64 start = arch::Rdtsc();
  u64 done = 0;
  for (; done < count; ++done) {
    if (pv_vmx_run(&vcpu.run) != 0) break;
    VmWrite(field::kGuestRip, rip + 3);
  }
  const u64 ticks = arch::Rdtsc() - start;
  if (done != count) Log("vmx: bare round trips: VM-Fail after %lu of %lu", done, count);
  vcpu.rip = rip + 3;
  return ticks;
}

#ifdef PV_TEST_BUILD
bool ApplyTestFault(VmxVcpu& vmx, StrView kind) {
  if (kind.Equals("host")) {
    VmWrite(field::kHostTrSelector, 0);
  } else if (kind.Equals("control")) {
    VmWrite(field::kEptPointer, vmx.ept.pml4_pa | 6);  // walk length field 0: invalid
  } else if (kind.Equals("guest")) {
    VmWrite(field::kGuestEsAccessRights + 2 * kCs, 0);
  } else {
    return false;
  }
  return true;
}
#endif

}  // namespace pv::vmx
