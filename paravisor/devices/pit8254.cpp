#include "devices/pit8254.h"

namespace pv::devices {
namespace {

constexpr u8 kGate2 = 0x01, kSpeakerData = 0x02, kOut2 = 0x20;
constexpr u8 kAccessLatch = 0;

}  // namespace

u64 Pit8254::PitTicks(u64 now_tsc) const {
  if (tsc_hz_ == 0) return 0;
  // In two parts: the TSC times 1.19 MHz would overflow 64 bits after a few hours at GHz rates.
  return now_tsc / tsc_hz_ * kInputHz + now_tsc % tsc_hz_ * kInputHz / tsc_hz_;
}

u16 Pit8254::Count(const Channel& c, u64 ticks) const {
  if (!c.counting) return c.reload;
  const u64 period = c.reload == 0 ? 0x10000 : c.reload;
  u64 elapsed = ticks - c.start;
  if (c.mode == 3) elapsed *= 2;  // square wave: the counter decrements by two
  if (c.mode == 2 || c.mode == 3) return static_cast<u16>(period - elapsed % period);
  // Modes 0/1 (and the rest): down through 0, then on around the full 16-bit range.
  return static_cast<u16>(period - elapsed);
}

u8 Pit8254::Read(u16 port, u64 now_tsc) {
  const u64 ticks = PitTicks(now_tsc);
  if (port == kSystemControlPort) {
    const Channel& c = channels_[2];
    const u64 period = c.reload == 0 ? 0x10000 : c.reload;
    const bool out = c.counting && c.mode == 0 && ticks - c.start >= period;
    return static_cast<u8>((port61_ & (kGate2 | kSpeakerData)) | (out ? kOut2 : 0));
  }
  if (port == kControlPort) return 0xff;  // write-only
  Channel& c = channels_[port - kFirstPort];
  const u16 value = c.latched ? c.latch : Count(c, ticks);
  bool msb = c.access == 2;
  if (c.access == 3) {
    msb = c.read_msb_next;
    c.read_msb_next = !c.read_msb_next;
  }
  if (c.latched && (c.access != 3 || !c.read_msb_next)) c.latched = false;  // fully read
  return static_cast<u8>(msb ? value >> 8 : value);
}

void Pit8254::Write(u16 port, u8 value, u64 now_tsc) {
  const u64 ticks = PitTicks(now_tsc);
  if (port == kSystemControlPort) {
    const bool gate_rises = (value & kGate2) && !(port61_ & kGate2);
    port61_ = value & (kGate2 | kSpeakerData);
    // A rising gate restarts channel 2's count (modes 1/5 trigger on it; mode 0 resumes).
    if (gate_rises && channels_[2].counting) channels_[2].start = ticks;
    return;
  }
  if (port == kControlPort) {
    const u8 index = value >> 6;
    if (index == 3) return;  // read-back command: not modelled
    Channel& c = channels_[index];
    const u8 access = (value >> 4) & 3;
    if (access == kAccessLatch) {
      if (!c.latched) {
        c.latch = Count(c, ticks);
        c.latched = true;
      }
      return;
    }
    c = Channel{};
    c.access = access;
    c.mode = (value >> 1) & 7;
    if (c.mode > 5) c.mode -= 4;  // 6 and 7 are modes 2 and 3
    return;
  }
  Channel& c = channels_[port - kFirstPort];
  bool msb = c.access == 2;
  if (c.access == 3) {
    msb = c.write_msb_next;
    c.write_msb_next = !c.write_msb_next;
  }
  c.reload = msb ? static_cast<u16>((c.reload & 0x00ff) | (value << 8))
                 : static_cast<u16>((c.reload & 0xff00) | value);
  if (c.access != 3 || !c.write_msb_next) {  // the count is complete: counting starts
    c.counting = true;
    c.start = ticks;
  }
}

}  // namespace pv::devices
