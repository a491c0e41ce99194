#include "exits/guest_interrupts.h"

#include "arch/host_cpu.h"

namespace pv {

void EnableGuestInterruptControllers(Vcpu& vcpu, u32 tsc_khz) {
  vcpu.irq = GuestInterruptState{};
  vcpu.irq.enabled = true;
  vcpu.irq.tsc_khz = tsc_khz;
  vcpu.irq.pit.SetClock(u64{tsc_khz} * 1000);
  vcpu.irq.rtc.Start(arch::HostTsc(), u64{tsc_khz} * 1000);
}

GuestInterrupt PendingGuestInterrupt(Vcpu& vcpu) {
  if (!vcpu.irq.enabled) return {};
  apic::LocalApic& lapic = vcpu.irq.lapic;
  lapic.AdvanceTime(arch::HostTsc());
  const int vector = lapic.PendingVector();
  if (vector >= 0) return {vector, false};
  if (lapic.lint0_extint()) {
    const int pic_vector = vcpu.irq.pic.PendingVector();
    if (pic_vector >= 0) return {pic_vector, true};
  }
  return {};
}

void AcceptGuestInterrupt(Vcpu& vcpu, const GuestInterrupt& interrupt) {
  GuestInterruptState& irq = vcpu.irq;
  if (interrupt.from_pic) {
    irq.pic.Acknowledge();
    ++irq.injected_pic;
  } else {
    irq.lapic.AcceptInterrupt(static_cast<u8>(interrupt.vector));
    if (interrupt.vector == irq.lapic.timer_vector()) ++irq.injected_timer;
  }
  const u64 now = arch::HostTsc();
  if (irq.injected++ == 0) irq.first_injection_tsc = now;
  irq.last_injection_tsc = now;
}

u64 NextGuestTimerTsc(const Vcpu& vcpu) {
  return vcpu.irq.enabled ? vcpu.irq.lapic.NextTimerEvent() : apic::LocalApic::kNever;
}

}  // namespace pv
