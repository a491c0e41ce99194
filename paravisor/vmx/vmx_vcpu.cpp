#include "vmx/vmx_vcpu.h"

#include "arch/cpu.h"
#include "arch/descriptors.h"
#include "arch/event_timer.h"
#include "exits/encrypted_exit.h"
#include "exits/handlers.h"
#include "exits/msr_policy.h"
#include "guest/abi.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vcpu/backend_ops.h"
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

// The registers a handler changed (vcpu/registers.h), into the VMCS before the next entry. The
// world switch loads every GPR but RSP itself, the run loop writes RIP; CPL is read-only.
[[gnu::noinline]] void WriteDirtyRegisters(Vcpu& vcpu, const VmxVcpu& vmx) {
  RegisterCache& c = vcpu.regs;
  const RegMask dirty = c.dirty;
  if (dirty & GprBit(kRsp)) VmWrite(field::kGuestRsp, vcpu.run.gprs[kRsp]);
  if (dirty & RegBit(Reg::kRflags)) VmWrite(field::kGuestRflags, c.value(Reg::kRflags));
  // CR0/CR4 as the guest sees them: its value in the read shadow, the hardware value with the
  // bits VMX operation forces (CR0.NE/PE/PG, CR4.VMXE). The CR policy allowed the value.
  if (dirty & RegBit(Reg::kCr0)) {
    const u64 v = c.value(Reg::kCr0);
    VmWrite(field::kGuestCr0, (v | vmx.cr0_fixed0) & vmx.cr0_fixed1);
    VmWrite(field::kCr0ReadShadow, v);
  }
  if (dirty & RegBit(Reg::kCr3)) VmWrite(field::kGuestCr3, c.value(Reg::kCr3));
  if (dirty & RegBit(Reg::kCr4)) {
    const u64 v = c.value(Reg::kCr4);
    VmWrite(field::kGuestCr4, (v | vmx.cr4_fixed0) & vmx.cr4_fixed1);
    VmWrite(field::kCr4ReadShadow, v);
  }
  // The shared MSR handler keeps EFER.SVME set (an SVM requirement); Intel has no such bit.
  if (dirty & RegBit(Reg::kEfer))
    VmWrite(field::kGuestEfer, c.value(Reg::kEfer) & ~arch::kEferSvme);
  if (dirty & RegBit(Reg::kPat)) VmWrite(field::kGuestPat, c.value(Reg::kPat));
}

void InjectPendingException(Vcpu& vcpu) {
  VmWrite(field::kEntryInterruptionInfo,
          vcpu.pending.vector | kEventTypeHardwareException | kEventValid |
              (vcpu.pending.has_error_code ? kEventDeliverErrorCode : 0));
  if (vcpu.pending.has_error_code)
    VmWrite(field::kEntryExceptionErrorCode, vcpu.pending.error_code);
  vcpu.pending.valid = false;
}

// An event whose delivery the exit interrupted (an exception that hit an EPT violation, ...) is
// delivered again on the next entry, or the guest would lose it.
void RedeliverInterruptedEvent() {
  const u64 vectoring = VmRead(field::kIdtVectoringInfo);
  if (!(vectoring & kEventValid)) return;
  VmWrite(field::kEntryInterruptionInfo, vectoring & ~u64{kEventReservedNmiUnblocking});
  if (vectoring & kEventDeliverErrorCode)
    VmWrite(field::kEntryExceptionErrorCode, VmRead(field::kIdtVectoringErrorCode));
  if ((vectoring & kEventTypeMask) >= (4u << 8))  // software interrupt/exception
    VmWrite(field::kEntryInstructionLength, VmRead(field::kExitInstructionLength));
}

// CPL = SS.DPL (SDM 24.4.1: the access rights' DPL field, bits 6:5).
u64 ReadCpl() {
  return (VmRead(field::kGuestEsAccessRights + 2 * kSs) >> 5) & 3;
}

// The exit-information needs the run loop leaves to ReadExitDetails.
constexpr u8 kDetailNeeds = exit_needs::kQualification | exit_needs::kGuestPhysical |
                            exit_needs::kVectoring | exit_needs::kOperands;

// The rest of the exit information the reason needs (VmxExitKind), for the exits whose handlers
// need more than the length, RIP and CPL, and for entry failures; the event whose delivery the
// exit interrupted; and the dispatch, on an Exit of its own. Out of line: the common
// instruction exits need none of it.
[[gnu::noinline]] ExitAction ProcessExitInDetail(Vcpu& vcpu, u32 reason, u32 length) {
  const u8 needs = VmxExitKindOf(reason).needs;
  ExitInfo info;
  info.reason = reason;
  info.instruction_length = length;
  if (needs & exit_needs::kQualification) info.qualification = VmRead(field::kExitQualification);
  if (needs & exit_needs::kGuestPhysical)
    info.guest_physical = VmRead(field::kGuestPhysicalAddress);
  info.guest_rcx = vcpu.run.gprs[kRcx];
  if (reason & exit_reason::kEntryFailureBit) {
    Log("vmx: guest %u: VM-entry failure, exit reason %u (0x%x), qualification 0x%lx",
        vcpu.guest_index, reason & 0xffff, reason, VmRead(field::kExitQualification));
  } else {
    vcpu.run.launched = 1;  // only after an entry that really happened
    if (needs & exit_needs::kVectoring) RedeliverInterruptedEvent();
  }
  return ProcessGuestExit(vcpu, DecodeVmxExit(info));
}

}  // namespace

void ReadGuestRegisters(Vcpu& vcpu, RegMask missing) {
  // One VMREAD per register asked for, from this table (CR0/CR4 and CPL are adjusted below).
  // RSP is the only GPR that can be missing: the world switch saves the others.
  static constexpr u16 kFieldOf[kNonGprRegCount] = {
      field::kGuestRip,
      field::kGuestRflags,
      field::kGuestCr0,
      field::kGuestCr3,
      field::kGuestCr4,
      field::kGuestEfer,
      field::kGuestPat,
      field::kGuestEsAccessRights + 2 * kSs,  // CPL = SS.DPL (SDM 24.4.1: bits 6:5)
  };
  static_assert(kNonGprRegCount == 8, "one VMCS field per register after the GPRs");
  RegisterCache& c = vcpu.regs;
  c.available |= missing;
  if (missing & GprBit(kRsp)) vcpu.run.gprs[kRsp] = VmRead(field::kGuestRsp);
  for (RegMask m = missing >> kGprCount; m != 0; m &= m - 1) {
    const unsigned i = static_cast<unsigned>(__builtin_ctz(m));
    c.values[i] = VmRead(kFieldOf[i]);
  }
  if (missing & RegBit(Reg::kCpl)) c.value(Reg::kCpl) = (c.value(Reg::kCpl) >> 5) & 3;
  // CR0/CR4 as the guest sees them: the bits the host owns (guest/host mask) from the read
  // shadows, the others from the hardware.
  if (missing & (RegBit(Reg::kCr0) | RegBit(Reg::kCr4))) {
    const VmxVcpu& vmx = *static_cast<const VmxVcpu*>(vcpu.backend_state);
    if (missing & RegBit(Reg::kCr0)) {
      c.value(Reg::kCr0) = (c.value(Reg::kCr0) & ~vmx.cr0_guest_owned_mask) |
                           (VmRead(field::kCr0ReadShadow) & vmx.cr0_guest_owned_mask);
    }
    if (missing & RegBit(Reg::kCr4)) {
      c.value(Reg::kCr4) = (c.value(Reg::kCr4) & ~vmx.cr4_guest_owned_mask) |
                           (VmRead(field::kCr4ReadShadow) & vmx.cr4_guest_owned_mask);
    }
  }
}

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
  // A TDX-mode guest: TDCALL raises #UD on this CPU, and the paravisor serves it
  // (exits/encrypted_exit.h); every other #UD goes back to the guest.
  if (vcpu.tee.mode == TeeMode::kTdx) VmWrite(field::kExceptionBitmap, 1u << kVectorUd);
  WriteHostState();
  WriteGuestState(vmx, caps, entry);
  if (VmcsAccessFailures() != failures_before) {
    return Status(Err::kHardware, "vmx: programming the VMCS failed (VMWRITE error logged)");
  }
  vcpu.backend = Backend::kVmx;
  vcpu.backend_state = &vmx;
  vcpu.run.guest_state_pa = vmx.vmcs_pa;
  vcpu.run.spec_ctrl_intercepted = 0;
  // The VMCS holds the entry state; the cache starts with the same values (CR0/CR4 as the guest
  // sees them: the documented values, the forced bits hidden by the shadows).
  LoadEntryRegisters(vcpu, entry, entry.efer);
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

namespace {

// kPlain: IsPlainGuest (exits/encrypted_exit.h), decided once by RunVmxVcpu.
template <bool kPlain>
void RunVmxLoop(Vcpu& vcpu) {
  VmxVcpu& vmx = *static_cast<VmxVcpu*>(vcpu.backend_state);
  // One Exit for the loop's common exits: DecodeVmxCommon writes the fields they use, the others
  // are never written (0), so no exit pays for clearing them.
  Exit exit;
  for (;;) {
    // What the handlers changed, into the VMCS: RIP after almost every exit (the advance past
    // the instruction) in line, anything else in one call that only some exits need.
    const RegMask dirty = vcpu.regs.dirty;
    if (dirty & RegBit(Reg::kRip)) VmWrite(field::kGuestRip, vcpu.regs.value(Reg::kRip));
    if (dirty & ~(kSwitchedGprs | RegBit(Reg::kRip))) [[unlikely]]
      WriteDirtyRegisters(vcpu, vmx);
    if (vcpu.pending.valid) InjectPendingException(vcpu);
    if (!kPlain && vcpu.irq.enabled) PrepareVmxInterrupt(vcpu, vmx);

    const int fail = pv_vmx_run(&vcpu.run);

    if (fail != 0) {
      // VM-Fail: the instruction itself failed; the guest did not run and its state (and the
      // register cache) is as it was.
      const u64 error = fail == 1 ? VmRead(field::kVmInstructionError) : 0;
      Log("vmx: guest %u: %s failed (%s): VM-instruction error %lu: %s", vcpu.guest_index,
          vcpu.run.launched ? "VMRESUME" : "VMLAUNCH", fail == 1 ? "VMfailValid" : "VMfailInvalid",
          error, VmInstructionErrorName(error));
      if (ProcessExit(vcpu, VmFailExit(fail, error)) == ExitAction::kStop) return;
      continue;
    }
    // The exit reason, then only what this kind of exit needs (VmxExitKind). In line: the
    // instruction length and the registers its handler reads first (RIP for the advance past
    // the instruction, the CPL for a privilege check); everything else the common instruction
    // exits (CPUID, VMCALL, HLT, ...) never need is read out of line; any other register only
    // if a handler asks (vcpu/registers.h).
    const u32 reason = static_cast<u32>(VmRead(field::kExitReason));
    const VmxExitKind& kind = VmxExitKindForRunLoop(reason);
    u32 length = 0;
    RegMask available = kSwitchedGprs;
    if (kind.needs & exit_needs::kInstructionLength) [[likely]] {
      length = static_cast<u32>(VmRead(field::kExitInstructionLength));
      vcpu.regs.value(Reg::kRip) = VmRead(field::kGuestRip);
      available |= RegBit(Reg::kRip);
    }
    if (kind.needs & exit_needs::kCpl) {
      vcpu.regs.value(Reg::kCpl) = ReadCpl();
      available |= RegBit(Reg::kCpl);
    }
    vcpu.BeginExit(available);
    ExitAction action;
    if (kind.needs & kDetailNeeds) [[unlikely]] {  // entry failures too (VmxExitKindForRunLoop)
      action = ProcessExitInDetail(vcpu, reason, length);
    } else {
      vcpu.run.launched = 1;  // only after an entry that really happened
      DecodeVmxCommon(reason, kind, length, &exit);
      action = kPlain ? ProcessExit(vcpu, exit) : ProcessGuestExit(vcpu, exit);
    }

    if (action == ExitAction::kResumeNext) [[likely]] {
      // Skipping the instruction ends any STI / MOV SS interrupt shadow it was in (a HLT right
      // after STI exits inside the shadow); keeping it would shadow the wrong instruction.
      const u64 interruptibility = VmRead(field::kGuestInterruptibility);
      if (interruptibility & kBlockingByStiOrMovSs)
        VmWrite(field::kGuestInterruptibility, interruptibility & ~kBlockingByStiOrMovSs);
    } else if (action == ExitAction::kStop) {
      return;
    }
  }
}

}  // namespace

void RunVmxVcpu(Vcpu& vcpu) {
  IsPlainGuest(vcpu) ? RunVmxLoop<true>(vcpu) : RunVmxLoop<false>(vcpu);
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
  // The guest ran since the registers were cached: forget all but what the switch saved.
  vcpu.BeginExit(kSwitchedGprs);
  vcpu.set_rip(rip + 3);
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
