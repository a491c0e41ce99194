// Ending a run: how the firmware tells the emulator that it is done and whether it succeeded.
#ifndef PV_ARCH_PLATFORM_H_
#define PV_ARCH_PLATFORM_H_

#include "lib/types.h"

namespace pv::arch {

// Values written to QEMU's isa-debug-exit (iobase 0xf4); QEMU exits with status (v << 1) | 1.
enum class RunResult : u32 {
  kPass = 0x10,   // QEMU status 33
  kFail = 0x11,   // QEMU status 35: a guest or a test did not do what was expected
  kPanic = 0x12,  // QEMU status 37: the paravisor itself hit a fatal error
};

// Masks every line of both legacy PICs. The paravisor takes only its own local APIC timer tick
// (arch/event_timer.h), and firmware may leave one pending (the BIOS's PIT tick under Bochs):
// unmasked, it could be delivered into a guest that enabled interrupts, whatever the backend.
void MaskLegacyInterrupts();

// Writes the result to isa-debug-exit (QEMU) and the shutdown port (Bochs), then halts in case
// neither device exists.
[[noreturn]] void EndRun(RunResult result);

}  // namespace pv::arch

#endif  // PV_ARCH_PLATFORM_H_
