#include "devices/cmos_rtc.h"

namespace pv::devices {
namespace {

constexpr u8 kRegSeconds = 0x00, kRegMinutes = 0x02, kRegHours = 0x04, kRegWeekday = 0x06,
             kRegDay = 0x07, kRegMonth = 0x08, kRegYear = 0x09, kRegA = 0x0a, kRegB = 0x0b,
             kRegC = 0x0c, kRegD = 0x0d, kRegCentury = 0x32;
constexpr u8 kRegA32kHzDivider = 0x26;  // 32.768 kHz time base, 1024 Hz rate, UIP clear
constexpr u8 kRegDValid = 0x80;         // VRT: RAM and time are valid
constexpr u8 kRegBBinary = 0x04, kRegB24Hour = 0x02, kRegBWritable = 0x7e;  // SET is refused
constexpr u8 kIndexMask = 0x7f;  // bit 7 of the index port is the NMI mask on a PC

bool LeapYear(u32 year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

u32 DaysInMonth(u32 year, u32 month) {
  constexpr u8 kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && LeapYear(year) ? 29 : kDays[month - 1];
}

u8 ToBcd(u32 v) {
  return static_cast<u8>(((v / 10) << 4) | (v % 10));
}

}  // namespace

u8 CmosRtc::TimeRegister(u8 index, u64 now_tsc) const {
  const u64 seconds = tsc_hz_ == 0 || now_tsc < start_tsc_ ? 0 : (now_tsc - start_tsc_) / tsc_hz_;
  u64 days = seconds / 86400;
  const u32 second_of_day = static_cast<u32>(seconds % 86400);
  const u32 weekday = static_cast<u32>((days + 6) % 7) + 1;  // 2000-01-01 was a Saturday (7)
  u32 year = 2000, month = 1;
  while (days >= (LeapYear(year) ? 366u : 365u)) days -= LeapYear(year++) ? 366 : 365;
  while (days >= DaysInMonth(year, month)) days -= DaysInMonth(year, month++);
  u32 value = 0;
  bool pm = false;
  switch (index) {
    case kRegSeconds:
      value = second_of_day % 60;
      break;
    case kRegMinutes:
      value = second_of_day / 60 % 60;
      break;
    case kRegHours:
      value = second_of_day / 3600;
      if (!(reg_b_ & kRegB24Hour)) {
        pm = value >= 12;
        value = value % 12 == 0 ? 12 : value % 12;
      }
      break;
    case kRegWeekday:
      value = weekday;
      break;
    case kRegDay:
      value = static_cast<u32>(days) + 1;
      break;
    case kRegMonth:
      value = month;
      break;
    case kRegYear:
      value = year % 100;
      break;
    default:  // kRegCentury
      value = year / 100;
      break;
  }
  const u8 encoded = (reg_b_ & kRegBBinary) ? static_cast<u8>(value) : ToBcd(value);
  return static_cast<u8>(encoded | (pm ? 0x80 : 0));
}

u8 CmosRtc::Read(u16 port, u64 now_tsc) const {
  if (port == kIndexPort) return 0xff;  // write-only on a PC
  switch (index_) {
    case kRegSeconds:
    case kRegMinutes:
    case kRegHours:
    case kRegWeekday:
    case kRegDay:
    case kRegMonth:
    case kRegYear:
    case kRegCentury:
      return TimeRegister(index_, now_tsc);
    case kRegA:
      return kRegA32kHzDivider;
    case kRegB:
      return reg_b_;
    case kRegC:
      return 0;
    case kRegD:
      return kRegDValid;
    default:
      return index_ < 0x0e ? 0 : ram_[index_];  // 0x01/0x03/0x05: the (inactive) alarm
  }
}

void CmosRtc::Write(u16 port, u8 value) {
  if (port == kIndexPort) {
    index_ = value & kIndexMask;
    return;
  }
  if (index_ == kRegB) {
    reg_b_ = value & kRegBWritable;
  } else if (index_ >= 0x0e && index_ != kRegCentury) {
    ram_[index_] = value;
  }
  // The time, alarm and status registers A, C, D ignore writes.
}

}  // namespace pv::devices
