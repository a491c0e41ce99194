// The guest's MC146818 real-time clock and CMOS RAM (index port 0x70, data port 0x71), emulated
// by the paravisor as a pure model. The clock starts at 2000-01-01 00:00:00 when the guest
// starts and runs with the TSC: the partition has no wall-clock source it could trust (the
// host's time is the untrusted host's), so the guest is not told one. Without the device an
// absent RTC reads 0xff forever and Linux spends 80,000 exits waiting for its update-in-progress
// flag to clear.
//
// Modelled: registers 0..9 (seconds .. year) in BCD or binary and 12- or 24-hour format as
// register B selects, register A (update never in progress), B (held), C (no interrupt flags),
// D (valid RAM and time), the century byte 0x32, and the other CMOS bytes as plain RAM. Writes
// to the time registers are ignored (the clock cannot be set); no alarm, periodic or update
// interrupts (IRQ 8 stays low).
#ifndef PV_DEVICES_CMOS_RTC_H_
#define PV_DEVICES_CMOS_RTC_H_

#include "lib/types.h"

namespace pv::devices {

class CmosRtc {
 public:
  static constexpr u16 kIndexPort = 0x70, kDataPort = 0x71;
  static bool IsPort(u16 port) { return port == kIndexPort || port == kDataPort; }

  // The clock reads 2000-01-01 00:00:00 at `start_tsc` and advances at `tsc_hz`.
  void Start(u64 start_tsc, u64 tsc_hz) {
    start_tsc_ = start_tsc;
    tsc_hz_ = tsc_hz;
  }

  u8 Read(u16 port, u64 now_tsc) const;
  void Write(u16 port, u8 value);

 private:
  u8 TimeRegister(u8 index, u64 now_tsc) const;

  u8 index_ = 0;
  u8 ram_[128] = {};
  u8 reg_b_ = 0x02;  // 24-hour, BCD
  u64 start_tsc_ = 0, tsc_hz_ = 0;
};

}  // namespace pv::devices

#endif  // PV_DEVICES_CMOS_RTC_H_
