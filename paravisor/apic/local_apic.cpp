#include "apic/local_apic.h"

namespace pv::apic {
namespace {

constexpr u64 kApicBaseReserved = 0xffull | (1ull << 9) | ~((1ull << 52) - 1);
constexpr u64 kApicBaseAddressMask = ((1ull << 52) - 1) & ~0xfffull;
constexpr u32 kIcrVectorMask = 0xff, kIcrDeliveryModeMask = 0x700, kIcrLogical = 1u << 11;
constexpr u32 kIcrLevelAssert = 1u << 14, kIcrTriggerLevel = 1u << 15;
constexpr u32 kIcrShorthandShift = 18, kIcrShorthandMask = 3;
enum Shorthand : u32 { kNoShorthand = 0, kSelf = 1, kAllIncludingSelf = 2, kAllExcludingSelf = 3 };
// Writable bits per LVT entry (timer, thermal, perf, LINT0, LINT1, error): the vector, the
// delivery mode where one exists, LINT's polarity and trigger mode, the mask; the timer's
// mode (bits 18:17: one-shot, periodic, TSC-deadline; 3 is reserved and read back as one-shot).
constexpr u32 kLvtWritable[6] = {0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff};
constexpr u32 kLvtTimerIndex = 0, kLvtErrorIndex = 5;

int HighestBit(const u32 (&bits)[8]) {
  for (int word = 7; word >= 0; --word) {
    if (bits[word] != 0) return word * 32 + (31 - __builtin_clz(bits[word]));
  }
  return -1;
}

void SetBit(u32 (&bits)[8], u8 v) {
  bits[v / 32] |= 1u << (v % 32);
}
void ClearBit(u32 (&bits)[8], u8 v) {
  bits[v / 32] &= ~(1u << (v % 32));
}

Status Gp(const char* why) {
  return Status(Err::kInvalidArgument, why);
}

}  // namespace

Status LocalApic::WriteApicBase(u64 value) {
  if ((value & kApicBaseReserved) != 0) return Gp("apic: APIC_BASE reserved bits set");
  if ((value & kApicBaseAddressMask) != kDefaultBase) {
    return Status(Err::kUnsupported, "apic: APIC_BASE relocation is not supported");
  }
  const bool enable = (value & kApicBaseEnable) != 0, extd = (value & kApicBaseExtd) != 0;
  if (extd && !enable) return Gp("apic: APIC_BASE x2APIC without enable");
  const Mode next = !enable ? Mode::kDisabled : extd ? Mode::kX2apic : Mode::kXapic;
  if (next == mode_) return Status::Ok();
  if (next == Mode::kX2apic && mode_ == Mode::kDisabled) {
    return Gp("apic: APIC_BASE disabled -> x2APIC is invalid");
  }
  if (next == Mode::kXapic && mode_ == Mode::kX2apic) {
    return Gp("apic: APIC_BASE x2APIC -> xAPIC is invalid (disable first)");
  }
  if (next == Mode::kDisabled) {
    Reset();  // a disabled APIC loses its state; re-enabling starts from the power-on values
  }
  mode_ = next;
  base_ = kDefaultBase | kApicBaseBsp | (enable ? kApicBaseEnable : 0) | (extd ? kApicBaseExtd : 0);
  return Status::Ok();
}

Status LocalApic::ReadMmio(u32 offset, u32* value, u64 now) {
  if (mode_ != Mode::kXapic) return Gp("apic: xAPIC page accessed while not in xAPIC mode");
  if ((offset & 0xf) != 0 || offset >= 0x1000) return Gp("apic: unaligned xAPIC access");
  u64 v = 0;
  PV_TRY(Read(offset, &v, now, false));
  *value = static_cast<u32>(v);
  return Status::Ok();
}

Status LocalApic::WriteMmio(u32 offset, u32 value, u64 now) {
  if (mode_ != Mode::kXapic) return Gp("apic: xAPIC page accessed while not in xAPIC mode");
  if ((offset & 0xf) != 0 || offset >= 0x1000) return Gp("apic: unaligned xAPIC access");
  return Write(offset, value, now, false);
}

Status LocalApic::ReadMsr(u32 msr, u64* value, u64 now) {
  if (mode_ != Mode::kX2apic) return Gp("apic: x2APIC MSR accessed while not in x2APIC mode");
  if (msr < kX2apicMsrFirst || msr > kX2apicMsrLast) return Gp("apic: not an x2APIC MSR");
  return Read((msr - kX2apicMsrFirst) << 4, value, now, true);
}

Status LocalApic::WriteMsr(u32 msr, u64 value, u64 now) {
  if (mode_ != Mode::kX2apic) return Gp("apic: x2APIC MSR accessed while not in x2APIC mode");
  if (msr < kX2apicMsrFirst || msr > kX2apicMsrLast) return Gp("apic: not an x2APIC MSR");
  const u32 offset = (msr - kX2apicMsrFirst) << 4;
  if (offset != kRegIcrLow && (value >> 32) != 0) return Gp("apic: x2APIC reserved bits set");
  return Write(offset, value, now, true);
}

Status LocalApic::Read(u32 offset, u64* value, u64 now, bool x2apic) {
  AdvanceTime(now);
  // The register arrays: ISR, TMR, IRR (8 x 32 bits each) and the six LVT entries.
  const struct {
    u32 first;
    const u32* regs;
    u32 count;
  } banks[] = {{kRegIsr, isr_, 8}, {kRegTmr, tmr_, 8}, {kRegIrr, irr_, 8}, {kRegLvtTimer, lvt_, 6}};
  for (const auto& bank : banks) {
    if (offset >= bank.first && offset < bank.first + bank.count * 0x10) {
      *value = bank.regs[(offset - bank.first) >> 4];
      return Status::Ok();
    }
  }
  switch (offset) {
    case kRegId:
      *value = x2apic ? id_ : id_ << 24;
      return Status::Ok();
    case kRegVersion:
      *value = kVersion;
      return Status::Ok();
    case kRegTpr:
      *value = tpr_;
      return Status::Ok();
    case kRegPpr:
      *value = ppr();
      return Status::Ok();
    case kRegLdr:
      *value = x2apic ? LogicalId() : ldr_;
      return Status::Ok();
    case kRegSvr:
      *value = svr_;
      return Status::Ok();
    case kRegEsr:
      *value = esr_;
      return Status::Ok();
    case kRegIcrLow:
      *value = x2apic ? (u64{icr_high_} << 32) | icr_low_ : icr_low_;  // delivery status idle
      return Status::Ok();
    case kRegTimerInitial:
      *value = timer_initial_;
      return Status::Ok();
    case kRegTimerCurrent:
      *value = TimerCurrent(now);
      return Status::Ok();
    case kRegTimerDivide:
      *value = timer_divide_;
      return Status::Ok();
    default:
      break;
  }
  if (x2apic) return Gp("apic: read of a reserved or write-only x2APIC MSR");
  switch (offset) {
    case kRegIcrHigh:
      *value = icr_high_;
      return Status::Ok();
    case kRegDfr:
      *value = dfr_;
      return Status::Ok();
    default:
      *value = 0;
      return Status::Ok();  // APR, EOI, RRD and holes read as 0
  }
}

Status LocalApic::Write(u32 offset, u64 value64, u64 now, bool x2apic) {
  AdvanceTime(now);
  const u32 value = static_cast<u32>(value64);
  if (offset >= kRegLvtTimer && offset <= kRegLvtError) {
    WriteLvt((offset - kRegLvtTimer) >> 4, value);
    return Status::Ok();
  }
  switch (offset) {
    case kRegTpr:
      if (x2apic && (value & ~0xffu) != 0) return Gp("apic: TPR reserved bits set");
      tpr_ = value & 0xff;
      return Status::Ok();
    case kRegEoi:
      if (x2apic && value != 0) return Gp("apic: non-zero x2APIC EOI write");
      Eoi();
      return Status::Ok();
    case kRegSvr:
      // Vector, software enable, focus-check disable; EOI-broadcast suppression is not offered.
      svr_ = value & 0x3ff;
      if (!software_enabled()) {
        for (u32& lvt : lvt_) lvt |= kLvtMasked;
      }
      return Status::Ok();
    case kRegEsr:
      if (x2apic && value != 0) return Gp("apic: non-zero x2APIC ESR write");
      esr_ = esr_pending_;  // a write latches the errors seen since the last one
      esr_pending_ = 0;
      return Status::Ok();
    case kRegIcrLow:
      icr_low_ = value & 0x000ccfff;
      if (x2apic) icr_high_ = static_cast<u32>(value64 >> 32);
      return SendIpi(icr_low_, x2apic ? icr_high_ : icr_high_ >> 24, x2apic);
    case kRegTimerInitial:
      // TSC-deadline mode ignores the initial count (SDM 11.5.4.1).
      if ((lvt_[kLvtTimerIndex] & kLvtTimerModeMask) == kLvtTimerTscDeadline) return Status::Ok();
      timer_initial_ = value;
      StartTimer(now);
      return Status::Ok();
    case kRegTimerDivide:
      timer_divide_ = value & 0xb;
      return Status::Ok();
    default:
      break;
  }
  if (x2apic) {
    if (offset == kRegSelfIpi) {
      if ((value & ~0xffu) != 0) return Gp("apic: SELF_IPI reserved bits set");
      RaiseVector(static_cast<u8>(value));
      return Status::Ok();
    }
    return Gp("apic: write to a reserved or read-only x2APIC MSR");
  }
  switch (offset) {
    case kRegId:
      id_ = value >> 24;
      break;
    case kRegLdr:
      ldr_ = value & 0xff000000u;
      break;
    case kRegDfr:
      dfr_ = value | 0x0fffffffu;
      break;
    case kRegIcrHigh:
      icr_high_ = value & 0xff000000u;
      break;
    default:
      break;  // read-only registers and holes ignore writes, as on hardware
  }
  return Status::Ok();
}

void LocalApic::WriteLvt(u32 index, u32 value) {
  u32 v = value & kLvtWritable[index];
  if (index == kLvtTimerIndex && (v & kLvtTimerModeMask) == kLvtTimerModeMask) {
    v &= ~kLvtTimerModeMask;  // the reserved mode
  }
  if (!software_enabled()) v |= kLvtMasked;  // cannot be unmasked while software-disabled
  if (index == kLvtTimerIndex && ((v ^ lvt_[index]) & kLvtTimerModeMask) != 0) {
    // A mode change stops the timer (SDM 11.5.4.1): nothing armed in the old mode fires.
    timer_armed_ = false;
    tsc_deadline_ = 0;
  }
  lvt_[index] = v;
}

void LocalApic::WriteTscDeadline(u64 value, u64 now) {
  AdvanceTime(now);
  if ((lvt_[kLvtTimerIndex] & kLvtTimerModeMask) != kLvtTimerTscDeadline) return;
  tsc_deadline_ = value;
  timer_armed_ = value != 0;
  timer_deadline_ = value;
  AdvanceTime(now);  // a deadline in the past fires at once
}

Status LocalApic::SendIpi(u32 low, u32 destination, bool x2apic) {
  const u32 shorthand = (low >> kIcrShorthandShift) & kIcrShorthandMask;
  if ((low & kIcrDeliveryModeMask) != 0 || (low & kIcrTriggerLevel) != 0) {
    // INIT/SIPI/NMI/SMI/lowest-priority or level-triggered: there is no second CPU to start
    // and no level-triggered source; refused so the caller logs it.
    if ((low & kIcrTriggerLevel) != 0 && (low & kIcrLevelAssert) == 0) return Status::Ok();
    return Status(Err::kUnsupported, "apic: IPI delivery mode other than fixed");
  }
  bool to_self = shorthand == kSelf || shorthand == kAllIncludingSelf;
  if (shorthand == kNoShorthand) {
    if ((low & kIcrLogical) != 0) {
      to_self = x2apic ? (destination >> 16) == (LogicalId() >> 16) &&
                             (destination & LogicalId() & 0xffff) != 0
                       : (destination & (ldr_ >> 24)) != 0;
    } else {
      to_self = destination == id_ || destination == (x2apic ? 0xffffffffu : 0xffu);
    }
  }
  // No other CPU exists: a message for one goes nowhere, as on hardware without a receiver.
  if (!to_self) return Status::Ok();
  const u8 vector = static_cast<u8>(low & kIcrVectorMask);
  if (vector < 16) {
    ReportError(kEsrSendIllegalVector);
    return Status::Ok();
  }
  SetBit(irr_, vector);
  return Status::Ok();
}

void LocalApic::RaiseVector(u8 vector) {
  if (vector < 16) {
    ReportError(kEsrReceiveIllegalVector);
    return;
  }
  SetBit(irr_, vector);
}

void LocalApic::ReportError(u32 esr_bit) {
  esr_pending_ |= esr_bit;
  const u32 lvt = lvt_[kLvtErrorIndex];
  const u8 vector = static_cast<u8>(lvt & 0xff);
  // An error LVT with an illegal vector would report itself forever: it is dropped instead.
  if ((lvt & kLvtMasked) == 0 && vector >= 16) SetBit(irr_, vector);
}

void LocalApic::Eoi() {
  const int v = HighestBit(isr_);
  if (v < 0) return;  // an EOI with nothing in service is ignored
  ClearBit(isr_, static_cast<u8>(v));
  ClearBit(tmr_, static_cast<u8>(v));
}

u32 LocalApic::ppr() const {
  const int isrv = HighestBit(isr_);
  const u32 isr_class = isrv < 0 ? 0 : static_cast<u32>(isrv) & 0xf0;
  return (tpr_ & 0xf0) >= isr_class ? tpr_ & 0xff : isr_class;
}

int LocalApic::PendingVector() const {
  if (mode_ == Mode::kDisabled) return -1;
  const int v = HighestBit(irr_);
  if (v < 0 || (static_cast<u32>(v) & 0xf0) <= (ppr() & 0xf0)) return -1;
  return v;
}

void LocalApic::AcceptInterrupt(u8 vector) {
  ClearBit(irr_, vector);
  SetBit(isr_, vector);
}

u32 LocalApic::Divisor() const {
  const u32 code = (timer_divide_ & 3) | ((timer_divide_ >> 1) & 4);
  return code == 7 ? 1 : 2u << code;
}

u32 LocalApic::LogicalId() const {
  return ((id_ >> 4) << 16) | (1u << (id_ & 0xf));
}

void LocalApic::StartTimer(u64 now) {
  timer_armed_ = timer_initial_ != 0;
  timer_period_ = u64{timer_initial_} * Divisor();
  timer_start_ = now;
  timer_deadline_ = now + timer_period_;
}

u32 LocalApic::TimerCurrent(u64 now) const {
  if ((lvt_[kLvtTimerIndex] & kLvtTimerModeMask) == kLvtTimerTscDeadline) return 0;
  if (!timer_armed_ || now >= timer_deadline_) return 0;
  return static_cast<u32>((timer_deadline_ - now) / Divisor());
}

void LocalApic::AdvanceTime(u64 now) {
  if (!timer_armed_ || now < timer_deadline_) return;
  ++timer_fired_;
  const u32 lvt = lvt_[kLvtTimerIndex];
  // A masked timer keeps counting but delivers nothing.
  if ((lvt & kLvtMasked) == 0) RaiseVector(static_cast<u8>(lvt & 0xff));
  if ((lvt & kLvtTimerModeMask) == kLvtTimerTscDeadline) {
    timer_armed_ = false;
    tsc_deadline_ = 0;  // reads 0 once it fired
  } else if ((lvt & kLvtTimerModeMask) == kLvtTimerPeriodic) {
    // Periods missed while no exit came are one interrupt (IRR holds one bit per vector); the
    // next deadline stays on the original grid.
    timer_deadline_ += ((now - timer_deadline_) / timer_period_ + 1) * timer_period_;
  } else {
    timer_armed_ = false;
  }
}

}  // namespace pv::apic
