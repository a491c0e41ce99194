// The guest's 8254 programmable interval timer (ports 0x40..0x43) and the PC's port 0x61 gate
// and output bits for channel 2, emulated by the paravisor as a pure model counting from the TSC
// (1.193182 MHz input clock). Linux guests get it only so that the kernel's PIT probes and
// quick TSC calibration read a counter that moves (an absent PIT reads 0xff forever and costs
// Linux's calibration loop 100,000 exits before it gives up); the paravisor tells Linux the TSC
// rate (tsc_early_khz) and the kernel then uses the local APIC's TSC-deadline timer. The PIT's
// output is wired to nothing: channel 0 never interrupts (IRQ 0 stays low).
//
// Modelled: the control word (channel, access mode LSB/MSB/both, mode; counter latch command),
// the reload value and a down-counter per channel (modes 0/1 count once through 0 and wrap,
// modes 2/3 reload; mode 3 counts by 2 as the hardware does), channel 2's gate (port 0x61 bit 0)
// and output (bit 5, mode 0: high once the count reached 0). Not modelled: read-back command,
// BCD counting, the gate of channels 0/1, the speaker.
#ifndef PV_DEVICES_PIT8254_H_
#define PV_DEVICES_PIT8254_H_

#include "lib/types.h"

namespace pv::devices {

class Pit8254 {
 public:
  static constexpr u16 kFirstPort = 0x40, kControlPort = 0x43, kSystemControlPort = 0x61;
  static constexpr u64 kInputHz = 1193182;
  static bool IsPort(u16 port) {
    return (port >= kFirstPort && port <= kControlPort) || port == kSystemControlPort;
  }

  // `tsc_hz` converts TSC ticks to PIT input ticks.
  void SetClock(u64 tsc_hz) { tsc_hz_ = tsc_hz; }

  u8 Read(u16 port, u64 now_tsc);
  void Write(u16 port, u8 value, u64 now_tsc);

 private:
  struct Channel {
    u8 access = 3;  // 1 LSB, 2 MSB, 3 LSB then MSB
    u8 mode = 0;
    u16 reload = 0;  // 0 means 65536
    u64 start = 0;   // PIT ticks when counting began
    bool counting = false;
    bool write_msb_next = false, read_msb_next = false;
    bool latched = false;
    u16 latch = 0;
  };
  u64 PitTicks(u64 now_tsc) const;
  u16 Count(const Channel& c, u64 ticks) const;

  Channel channels_[3];
  u8 port61_ = 0;  // bit 0: channel 2 gate, bit 1: speaker data (held, no sound)
  u64 tsc_hz_ = 0;
};

}  // namespace pv::devices

#endif  // PV_DEVICES_PIT8254_H_
