// Interrupt delivery into an SVM guest (exits/guest_interrupts.h). An interrupt goes in through
// EVENTINJ (type 0, external interrupt) only when the guest can take it: RFLAGS.IF set, no
// STI/MOV SS shadow, and no other event (an exception, or one whose delivery an exit cut short)
// occupying EVENTINJ. Otherwise the paravisor asks for a virtual interrupt (V_IRQ, priority 15,
// TPR ignored: the priority decision is the APIC model's) with the VINTR intercept, so the CPU
// exits the moment the guest could take it and the next entry injects the real vector. V_IRQ is
// only a doorbell here: the guest never receives it (the VINTR intercept takes precedence).
#include "exits/guest_interrupts.h"
#include "svm/svm_vcpu.h"

namespace pv::svm {
namespace {

constexpr u64 kRflagsIf = 1ull << 9;
constexpr u64 kInterruptShadow = 1ull << 0;
constexpr u64 kEventValid = 1ull << 31;  // EVENTINJ type 0 (external interrupt) is bits 10:8 = 0
constexpr u64 kVIrq = 1ull << 8, kVIgnTpr = 1ull << 20, kVIntrPrioShift = 16;
constexpr u64 kVIntrRequest = kVIrq | kVIgnTpr | (0xfull << kVIntrPrioShift);

}  // namespace

void PrepareSvmInterrupt(Vcpu& vcpu, Vmcb& vmcb) {
  VmcbControl& c = vmcb.control;
  c.vintr &= ~kVIntrRequest;
  c.intercept_misc1 &= ~intercept::kVintr;
  const GuestInterrupt irq = PendingGuestInterrupt(vcpu);
  if (irq.vector < 0) return;
  const bool can_take = (vcpu.rflags() & kRflagsIf) != 0 &&
                        (c.interrupt_shadow & kInterruptShadow) == 0 &&
                        (c.event_inject & kEventValid) == 0;
  if (can_take) {
    c.event_inject = static_cast<u64>(irq.vector) | kEventValid;
    AcceptGuestInterrupt(vcpu, irq);
    return;
  }
  c.vintr |= kVIntrRequest;
  c.intercept_misc1 |= intercept::kVintr;
}

}  // namespace pv::svm
