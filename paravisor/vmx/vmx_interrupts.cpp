// Interrupt delivery into a VMX guest (exits/guest_interrupts.h). An interrupt goes in through
// the VM-entry interruption-information field (type 0, external interrupt) only when the guest
// can take it: RFLAGS.IF set, no blocking by STI or MOV SS, and the field not already holding an
// event (an exception, or one whose delivery the last exit cut short; a successful entry clears
// its valid bit, so a set bit is this entry's). Otherwise interrupt-window exiting is turned on:
// the CPU exits as soon as the guest could take an interrupt, and the next entry injects it.
#include "exits/guest_interrupts.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_vcpu.h"

namespace pv::vmx {
namespace {

constexpr u64 kRflagsIf = 1ull << 9;
constexpr u64 kBlockingByStiOrMovSs = 0x3;
constexpr u64 kEventValid = 1ull << 31;  // type 0 (external interrupt) is bits 10:8 = 0
constexpr u32 kProcInterruptWindowExiting = 1u << 2;

void SetInterruptWindow(VmxVcpu& vmx, bool on) {
  if (on == vmx.interrupt_window) return;
  vmx.interrupt_window = on;
  if (on) {
    vmx.controls.proc |= kProcInterruptWindowExiting;
  } else {
    vmx.controls.proc &= ~kProcInterruptWindowExiting;
  }
  VmWrite(field::kProcControls, vmx.controls.proc);
}

}  // namespace

void PrepareVmxInterrupt(Vcpu& vcpu, VmxVcpu& vmx) {
  const GuestInterrupt irq = PendingGuestInterrupt(vcpu);
  if (irq.vector < 0) {
    SetInterruptWindow(vmx, false);
    return;
  }
  const bool can_take = (vcpu.rflags() & kRflagsIf) != 0 &&
                        (VmRead(field::kGuestInterruptibility) & kBlockingByStiOrMovSs) == 0 &&
                        (VmRead(field::kEntryInterruptionInfo) & kEventValid) == 0;
  if (can_take) {
    VmWrite(field::kEntryInterruptionInfo, static_cast<u64>(irq.vector) | kEventValid);
    AcceptGuestInterrupt(vcpu, irq);
  }
  // Still wanted while one waits; the window control must be allowed, or the wait is until the
  // next exit (the paravisor's tick at the latest).
  SetInterruptWindow(vmx, !can_take && (vmx.controls.proc_allowed1 & kProcInterruptWindowExiting));
}

}  // namespace pv::vmx
