#include "arch/platform.h"

#include "arch/cpu.h"

namespace pv::arch {

void MaskLegacyInterrupts() {
  Outb(0x21, 0xff);  // master PIC interrupt mask register
  Outb(0xa1, 0xff);  // slave PIC
}

[[noreturn]] void EndRun(RunResult result) {
  // QEMU: isa-debug-exit terminates the process with (value << 1) | 1.
  Outl(0xf4, static_cast<u32>(result));
  // Bochs: the string "Shutdown" written to port 0x8900 ends the simulation.
  for (const char* p = "Shutdown"; *p != '\0'; ++p) Outb(0x8900, static_cast<u8>(*p));
  HaltForever();
}

}  // namespace pv::arch
