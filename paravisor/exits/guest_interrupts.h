// Interrupt delivery to a guest with emulated interrupt controllers (vcpu.irq: Linux guests).
// Architecture-neutral: the backends ask what to deliver before each entry and inject it with
// their own mechanism (SVM EVENTINJ, VMX VM-entry interruption information) when the guest can
// take it (RFLAGS.IF set, no STI/MOV SS shadow, no other event being delivered), and otherwise
// request an interrupt-window exit (SVM V_IRQ + VINTR intercept, VMX interrupt-window exiting).
#ifndef PV_EXITS_GUEST_INTERRUPTS_H_
#define PV_EXITS_GUEST_INTERRUPTS_H_

#include "vcpu/vcpu.h"

namespace pv {

// Gives a guest its interrupt controllers: the local APIC in its power-on state (xAPIC mode,
// enabled) and the PIC pair.
void EnableGuestInterruptControllers(Vcpu& vcpu, u32 tsc_khz);

struct GuestInterrupt {
  int vector = -1;  // -1: nothing to deliver
  bool from_pic = false;
};

// Brings the local APIC's timer up to the current TSC and returns the interrupt the guest would
// take next: the APIC's highest deliverable fixed vector, else the PIC's through LINT0 (ExtINT).
GuestInterrupt PendingGuestInterrupt(Vcpu& vcpu);

// The interrupt was injected: the APIC moves it from IRR to ISR, the PIC takes its acknowledge.
void AcceptGuestInterrupt(Vcpu& vcpu, const GuestInterrupt& interrupt);

// The host TSC at which the guest's APIC timer fires next, or apic::LocalApic::kNever.
u64 NextGuestTimerTsc(const Vcpu& vcpu);

}  // namespace pv

#endif  // PV_EXITS_GUEST_INTERRUPTS_H_
