#include "svm/svm_vcpu.h"

#include "arch/cpu.h"
#include "exits/encrypted_exit.h"
#include "exits/handlers.h"
#include "exits/msr_policy.h"
#include "guest/abi.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vcpu/backend_ops.h"

namespace pv::svm {
namespace {

constexpr u64 kIopmPages = 3;
constexpr u64 kMsrpmPages = 2;
constexpr u32 kGuestAsid = 1;
constexpr u8 kTlbFlushAll = 1;
constexpr u64 kVIntrMasking = 1ull << 24;  // guest RFLAGS.IF does not gate host interrupts
constexpr u64 kNpEnable = 1ull << 0;
constexpr u64 kInterruptShadow = 1ull << 0;  // VMCB INTERRUPT_SHADOW bit 0

// EVENTINJ / EXITINTINFO (APM 15.20): vector, type (3 = exception), error-code valid, valid.
constexpr u64 kEventTypeException = 3ull << 8;
constexpr u64 kEventErrorValid = 1ull << 11;
constexpr u64 kEventValid = 1ull << 31;

// Segment attributes in the VMCB's compressed format.
constexpr u16 kAttrCode64 = 0x0a9b;  // P, S, code exec/read accessed, L, G
constexpr u16 kAttrData = 0x0c93;    // P, S, data read/write accessed, DB, G
constexpr u16 kAttrTssBusy = 0x008b;

// MSRPM: 2 bits per MSR (read, write) in three 2 KiB ranges (APM 15.11).
bool MsrpmBit(u32 msr, bool write, u64* byte, u8* bit) {
  u64 base;
  u32 index;
  if (msr <= 0x1fff) {
    base = 0x000, index = msr;
  } else if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
    base = 0x800, index = msr - 0xc0000000;
  } else if (msr >= 0xc0010000 && msr <= 0xc0011fff) {
    base = 0x1000, index = msr - 0xc0010000;
  } else {
    return false;  // outside the map: always intercepted
  }
  const u64 bit_index = index * 2ull + (write ? 1 : 0);
  *byte = base + bit_index / 8;
  *bit = static_cast<u8>(bit_index % 8);
  return true;
}

void SetSegment(VmcbSegment& s, u16 selector, u16 attrib, u32 limit, u64 base) {
  s = {selector, attrib, limit, base};
}

void InitSaveArea(VmcbSave& s, const GuestEntryState& e) {
  SetSegment(s.cs, e.code_selector, kAttrCode64, 0xffffffff, 0);
  SetSegment(s.ds, e.data_selector, kAttrData, 0xffffffff, 0);
  SetSegment(s.es, e.data_selector, kAttrData, 0xffffffff, 0);
  SetSegment(s.ss, e.data_selector, kAttrData, 0xffffffff, 0);
  SetSegment(s.fs, 0, 0, 0, 0);
  SetSegment(s.gs, 0, 0, 0, 0);
  SetSegment(s.gdtr, 0, 0, e.gdt_limit, e.gdt_base);
  SetSegment(s.idtr, 0, 0, 0, 0);  // no IDT until the guest loads one: faults triple-fault
  SetSegment(s.ldtr, 0, 0, 0, 0);
  SetSegment(s.tr, e.tss_selector, kAttrTssBusy, e.tss_limit, e.tss_base);
  s.cpl = 0;
  s.efer = e.efer | arch::kEferSvme;  // VMRUN requires SVME in the guest EFER
  s.cr0 = e.cr0;
  s.cr3 = e.cr3;
  s.cr4 = e.cr4;
  s.dr7 = 0x400;
  s.dr6 = 0xffff0ff0;
  s.rflags = 0x2;
  s.rip = e.rip;
  s.rsp = e.rsp;
  s.rax = 0;
  s.g_pat = e.pat;
}

constexpr u8 kVectorDf = 8;

Exit ShutdownExit(const Exit& from) {
  Exit e = from;
  e.reason = ExitReason::kShutdown;
  return e;
}

// The registers a handler changed (vcpu/registers.h) other than the GPRs VMRUN and the world
// switch load and RIP (the run loop copies it every time), into the VMCB. CPL is read-only.
[[gnu::noinline]] void WriteDirtyRegisters(Vcpu& vcpu, Vmcb& vmcb) {
  RegisterCache& c = vcpu.regs;
  const RegMask dirty = c.dirty;
  if (dirty & GprBit(kRsp)) vmcb.save.rsp = vcpu.run.gprs[kRsp];
  if (dirty & RegBit(Reg::kRflags)) vmcb.save.rflags = c.value(Reg::kRflags);
  if (dirty & RegBit(Reg::kCr0)) vmcb.save.cr0 = c.value(Reg::kCr0);
  if (dirty & RegBit(Reg::kCr3)) vmcb.save.cr3 = c.value(Reg::kCr3);
  if (dirty & RegBit(Reg::kCr4)) vmcb.save.cr4 = c.value(Reg::kCr4);
  if (dirty & RegBit(Reg::kEfer)) vmcb.save.efer = c.value(Reg::kEfer);
  if (dirty & RegBit(Reg::kPat)) vmcb.save.g_pat = c.value(Reg::kPat);
}

}  // namespace

void ReadGuestRegisters(Vcpu& vcpu, RegMask missing) {
  const VmcbSave& s = static_cast<const SvmVcpu*>(vcpu.backend_state)->vmcb->save;
  RegisterCache& c = vcpu.regs;
  c.available |= missing;
  if (missing & GprBit(kRsp)) vcpu.run.gprs[kRsp] = s.rsp;
  if (missing & RegBit(Reg::kRip)) c.value(Reg::kRip) = s.rip;
  if (missing & RegBit(Reg::kRflags)) c.value(Reg::kRflags) = s.rflags;
  if (missing & RegBit(Reg::kCr0)) c.value(Reg::kCr0) = s.cr0;
  if (missing & RegBit(Reg::kCr3)) c.value(Reg::kCr3) = s.cr3;
  if (missing & RegBit(Reg::kCr4)) c.value(Reg::kCr4) = s.cr4;
  if (missing & RegBit(Reg::kEfer)) c.value(Reg::kEfer) = s.efer;
  if (missing & RegBit(Reg::kPat)) c.value(Reg::kPat) = s.g_pat;
  if (missing & RegBit(Reg::kCpl)) c.value(Reg::kCpl) = s.cpl;
}

void SetMsrIntercept(SvmVcpu& svm, u32 msr, bool read, bool write) {
  u8* map = mm::PhysToVirt<u8>(svm.msrpm_pa);
  u64 byte;
  u8 bit;
  if (MsrpmBit(msr, false, &byte, &bit))
    map[byte] = read ? (map[byte] | (1u << bit)) : (map[byte] & ~(1u << bit));
  if (MsrpmBit(msr, true, &byte, &bit))
    map[byte] = write ? (map[byte] | (1u << bit)) : (map[byte] & ~(1u << bit));
}

Status SetupSvmVcpu(Vcpu& vcpu, SvmVcpu& svm, const Capabilities& caps, const HostState& host,
                    const GuestEntryState& entry) {
  svm.nrip_save = caps.nrip_save;
  PV_TRY_ASSIGN(svm.vmcb_pa, mm::AllocPages(1));
  svm.vmcb = mm::PhysToVirt<Vmcb>(svm.vmcb_pa);
  PV_TRY_ASSIGN(svm.iopm_pa, mm::AllocPages(kIopmPages));
  PV_TRY_ASSIGN(svm.msrpm_pa, mm::AllocPages(kMsrpmPages));
  PV_TRY_ASSIGN(svm.npt, BuildNestedPageTables(vcpu.memory.host_pa(), vcpu.memory.size()));

  // Every port and every MSR is intercepted, then the MSRs that VMLOAD/VMSAVE switch are let
  // through, and SPEC_CTRL too: like KVM, the guest owns it without exits, and the world-switch
  // code saves and restores it.
  memset(mm::PhysToVirt<void>(svm.iopm_pa), 0xff, kIopmPages * kPageSize);
  memset(mm::PhysToVirt<void>(svm.msrpm_pa), 0xff, kMsrpmPages * kPageSize);
  for (u32 msr : kPassthroughMsrs) SetMsrIntercept(svm, msr, false, false);
  SetMsrIntercept(svm, kSpecCtrlMsr, false, false);
  if (kTscAuxIsGuestOwned) {
    SetMsrIntercept(svm, kMsrTscAux, false, false);
    arch::Wrmsr(kMsrTscAux, 0);  // no guest sees a predecessor's RDTSCP value
  }

  VmcbControl& c = svm.vmcb->control;
  // INTR: the paravisor's timer tick preempts a guest that never exits (its time budget).
  // INVLPGA and the other SVM instructions, MONITOR/MWAIT (hidden by CPUID): #UD. XSETBV: XCR0 is
  // checked against the CPUID policy before it reaches the CPU.
  c.intercept_misc1 = intercept::kIntr | intercept::kCpuid | intercept::kHlt | intercept::kInvd |
                      intercept::kInvlpga | intercept::kIoio | intercept::kMsr |
                      intercept::kShutdown;
  c.intercept_misc2 = intercept::kVmrun | intercept::kVmmcall | intercept::kVmload |
                      intercept::kVmsave | intercept::kStgi | intercept::kClgi |
                      intercept::kSkinit | intercept::kMonitor | intercept::kMwait |
                      intercept::kMwaitConditional | intercept::kXsetbv;
  // An encrypted-state guest's RDTSC, RDTSCP and WBINVD are reflected as #VC, as SEV-ES
  // hardware does when they are intercepted (exits/encrypted_exit.h).
  if (vcpu.tee.sev()) {
    c.intercept_misc1 |= intercept::kRdtsc;
    c.intercept_misc2 |= intercept::kRdtscp | intercept::kWbinvd;
  }
  // #GP: SVM instructions at CPL > 0 fault with #GP before any intercept; the handler makes
  // them #UD like on a CPU without SVM and re-injects every other #GP unchanged.
  c.intercept_exceptions = 1u << kVectorGp;
  // A TDX-mode guest: WBINVD raises #VE, and TDCALL raises #UD on this CPU, which the paravisor
  // serves (exits/encrypted_exit.h).
  if (vcpu.tee.mode == TeeMode::kTdx) {
    c.intercept_misc2 |= intercept::kWbinvd;
    c.intercept_exceptions |= 1u << kVectorUd;
  }
  c.iopm_base_pa = svm.iopm_pa;
  c.msrpm_base_pa = svm.msrpm_pa;
  c.guest_asid = kGuestAsid;
  c.tlb_control = kTlbFlushAll;  // first entry: no stale translations for this ASID
  c.vintr = kVIntrMasking;
  c.np_enable = kNpEnable;
  c.n_cr3 = svm.npt.root_pa;
  InitSaveArea(svm.vmcb->save, entry);

  vcpu.backend = Backend::kSvm;
  vcpu.backend_state = &svm;
  vcpu.run.guest_state_pa = svm.vmcb_pa;
  vcpu.run.host_state_pa = host.vmsave_area_pa;
  vcpu.run.spec_ctrl_intercepted = 0;
  LoadEntryRegisters(vcpu, entry, entry.efer | arch::kEferSvme);
  return Status::Ok();
}

void TeardownSvmVcpu(SvmVcpu& svm) {
  FreeNestedPageTables(svm.npt);
  if (svm.msrpm_pa) mm::FreePages(svm.msrpm_pa, kMsrpmPages);
  if (svm.iopm_pa) mm::FreePages(svm.iopm_pa, kIopmPages);
  if (svm.vmcb_pa) mm::FreePages(svm.vmcb_pa, 1);
  svm = SvmVcpu{};
}

namespace {

// The exits with more to decode than the common ones (EXITINFO, operands) or an event whose
// delivery they interrupted: decoded, the event handled, dispatched. kStop after a #GP during
// a #DF's delivery (shutdown), kResumeSame after one during another event's (#DF injected).
[[gnu::noinline]] ExitAction ProcessExitInDetail(Vcpu& vcpu, Vmcb& vmcb, bool nrip_save) {
  const Exit exit = DecodeSvmExit(vmcb, nrip_save, vcpu.run.gprs[kRcx]);
  // An event whose delivery the exit interrupted (e.g. an exception that hit an NPF) is in
  // EXITINTINFO; it must be delivered again on the next entry or the guest loses it.
  if (vmcb.control.exit_int_info & kEventValid) {
    // A #GP raised while delivering another event (intercepted only to tell SVM instructions
    // apart) is what the CPU would have turned into #DF, or after a #DF into shutdown: do that
    // here instead of re-injecting #GP, which would fault again forever.
    if (exit.reason == ExitReason::kGeneralProtection) {
      if ((vmcb.control.exit_int_info & 0xff) == kVectorDf) {
        ProcessExit(vcpu, ShutdownExit(exit));
        return ExitAction::kStop;
      }
      vmcb.control.event_inject = kVectorDf | kEventTypeException | kEventErrorValid | kEventValid;
      return ExitAction::kResumeSame;
    }
    vmcb.control.event_inject = vmcb.control.exit_int_info;
  }
  return ProcessGuestExit(vcpu, exit);
}

// kPlain: IsPlainGuest (exits/encrypted_exit.h), decided once by RunSvmVcpu.
template <bool kPlain>
void RunSvmLoop(Vcpu& vcpu) {
  SvmVcpu& svm = *static_cast<SvmVcpu*>(vcpu.backend_state);
  Vmcb& vmcb = *svm.vmcb;
  const bool nrip_save = svm.nrip_save;
  // One Exit for the loop's common exits: DecodeSvmCommon writes the fields they use, the others
  // are never written (0), so no exit pays for clearing them.
  Exit exit;
  for (;;) {
    // RAX is switched by VMRUN from the VMCB; every handler family reads or writes it, so it is
    // copied both ways (two moves) rather than fetched; RIP, which the cache always holds on
    // SVM and almost every exit advances, likewise. The other registers a handler changed go
    // back into the VMCB in one call that only those exits need.
    vmcb.save.rax = vcpu.run.gprs[kRax];
    vmcb.save.rip = vcpu.regs.value(Reg::kRip);
    if (vcpu.regs.dirty & ~(kSwitchedGprs | RegBit(Reg::kRip))) [[unlikely]]
      WriteDirtyRegisters(vcpu, vmcb);
    if (vcpu.pending.valid) {
      vmcb.control.event_inject =
          vcpu.pending.vector | kEventTypeException | kEventValid |
          (vcpu.pending.has_error_code
               ? (kEventErrorValid | (static_cast<u64>(vcpu.pending.error_code) << 32))
               : 0);
      vcpu.pending.valid = false;
    }
    if (!kPlain && vcpu.irq.enabled) PrepareSvmInterrupt(vcpu, vmcb);

    pv_svm_run(&vcpu.run);

    vmcb.control.tlb_control = 0;
    vmcb.control.event_inject = 0;
    // After the exit the cache holds the switched GPRs, RAX, and RIP and CPL, which are two
    // loads from the VMCB that nearly every exit uses (the advance, the handlers' privilege
    // checks); everything else is read from the VMCB only when a handler asks.
    vcpu.run.gprs[kRax] = vmcb.save.rax;
    vcpu.regs.value(Reg::kRip) = vmcb.save.rip;
    vcpu.regs.value(Reg::kCpl) = vmcb.save.cpl;
    vcpu.BeginExit(kSwitchedGprs | RegBit(Reg::kRip) | RegBit(Reg::kCpl));

    // The common exits (CPUID, VMMCALL, HLT, ...: nothing but the length to decode, no event
    // interrupted) in line, on an Exit whose other fields stay 0; the rest out of line.
    const SvmExitKind kind = SvmExitKindOf(vmcb.control.exit_code);
    ExitAction action;
    if ((kind.needs & (exit_needs::kInfo | exit_needs::kOperands)) ||
        (vmcb.control.exit_int_info & kEventValid)) [[unlikely]] {
      action = ProcessExitInDetail(vcpu, vmcb, nrip_save);
    } else {
      DecodeSvmCommon(vmcb, kind, nrip_save, &exit);
      action = kPlain ? ProcessExit(vcpu, exit) : ProcessGuestExit(vcpu, exit);
    }
    if (action == ExitAction::kResumeNext) [[likely]] {
      // Skipping the instruction ends any STI / MOV SS interrupt shadow it was in (a HLT right
      // after STI exits inside the shadow); keeping it would shadow the wrong instruction.
      vmcb.control.interrupt_shadow &= ~kInterruptShadow;
    } else if (action == ExitAction::kStop) {
      return;
    }
  }
}

}  // namespace

void RunSvmVcpu(Vcpu& vcpu) {
  IsPlainGuest(vcpu) ? RunSvmLoop<true>(vcpu) : RunSvmLoop<false>(vcpu);
}

u64 BareRoundTrips(Vcpu& vcpu, u64 rip, u64 count) {
  SvmVcpu& svm = *static_cast<SvmVcpu*>(vcpu.backend_state);
  Vmcb& vmcb = *svm.vmcb;
  vmcb.save.rip = rip;
  const u64 start = arch::Rdtsc();
  for (u64 i = 0; i < count; ++i) {
    pv_svm_run(&vcpu.run);
    vmcb.save.rip += 3;  // VMMCALL is 0F 01 D9
  }
  const u64 ticks = arch::Rdtsc() - start;
  // The guest ran since the registers were cached: forget all but what the switch saved.
  vcpu.BeginExit(kSwitchedGprs);
  vcpu.set_rip(vmcb.save.rip);
  return ticks;
}

}  // namespace pv::svm
