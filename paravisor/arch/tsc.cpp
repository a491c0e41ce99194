#include "arch/tsc.h"

#include "arch/cpu.h"

namespace pv::arch {
namespace {

constexpr u64 kPitHz = 1193182;
constexpr u16 kCalibrationTicks = 59659;  // 50 ms

u64 g_tsc_hz = 0;

// PIT channel 2 in mode 0 counts down once, gated by port 0x61 bit 0; bit 5 of port 0x61
// reports the output, which goes high at terminal count.
u64 Calibrate() {
  Outb(0x61, static_cast<u8>((Inb(0x61) & ~0x02) | 0x01));
  Outb(0x43, 0xb0);  // channel 2, lobyte/hibyte, mode 0, binary
  Outb(0x42, kCalibrationTicks & 0xff);
  Outb(0x42, kCalibrationTicks >> 8);
  const u64 start = Rdtsc();
  for (u64 spin = 0; (Inb(0x61) & 0x20) == 0 && spin < 100000000; ++spin) {
  }
  const u64 ticks = Rdtsc() - start;
  return ticks * kPitHz / kCalibrationTicks;
}

}  // namespace

u64 TscHz() {
  if (g_tsc_hz == 0) g_tsc_hz = Calibrate();
  return g_tsc_hz;
}

}  // namespace pv::arch
