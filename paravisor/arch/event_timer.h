// The paravisor's time source and its "wait for an event": the local APIC timer ticking
// periodically into the paravisor's own interrupt handler, with the TSC as the clock. Exit
// handlers use it to end a guest's time budget (the tick interrupts a guest that never exits:
// SVM intercepts INTR, VMX has external-interrupt exiting) and to let HLT sleep until the next
// event instead of returning at once. Kept apart from any backend and any one use, so guest APIC
// emulation can later wake a halted vCPU from the same tick.
//
// Only the first three functions are reached from exit handlers; host unit tests fake them.
#ifndef PV_ARCH_EVENT_TIMER_H_
#define PV_ARCH_EVENT_TIMER_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::arch {

// Takes the timer interrupts pending while the paravisor ran with interrupts off (an interrupt
// window of one instruction), so the next entry does not exit again at once. Returns the number
// of ticks since the timer started.
u64 AcknowledgeTimerInterrupts();

// Sleeps (STI; HLT) until the next timer tick has been taken. Returns at once if the timer is
// not running (nothing would ever wake the CPU).
void WaitForTimerEvent();

// Sleeps until the next tick like WaitForTimerEvent, or until the TSC reaches `deadline_tsc` if
// that comes sooner than one tick period from now (then by polling the TSC: the tick is the
// only host interrupt there is). A guest's timer deadline thus wakes its halted vCPU on time.
void WaitForTimerEventOrTsc(u64 deadline_tsc);

// Boot: maps and software-enables the local APIC, calibrates its timer against the TSC and
// starts the periodic tick (vector kTimerVector). Fails if the CPU has no local APIC.
Status StartEventTimer();

// Masks (true) or unmasks the tick. The Bochs instruction-count benchmark pauses it so the
// world-switch numbers stay free of tick handling; nothing else should.
void PauseEventTimer(bool paused);

// TSC ticks in one millisecond (from arch/tsc.h's PIT calibration).
u64 TscTicksPerMs();

constexpr u8 kTimerVector = 0x30;
constexpr u8 kSpuriousVector = 0xff;
constexpr u64 kTimerTickMs = 10;

}  // namespace pv::arch

#endif  // PV_ARCH_EVENT_TIMER_H_
