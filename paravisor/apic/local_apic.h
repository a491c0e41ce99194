// The guest's local APIC, emulated by the paravisor: a pure model (no hardware access), driven
// by the exit handlers (x2APIC MSRs 0x800..0x8ff, the xAPIC MMIO page at APIC_BASE) and by the
// run loop, which passes the current time and injects PendingVector() when the guest can take it.
//
// What is modelled (Intel SDM vol. 3 ch. 11 / AMD APM vol. 2 ch. 16): APIC_BASE with the
// xAPIC/x2APIC/disabled transitions, ID, version, TPR, PPR, EOI, LDR/DFR, the spurious-vector
// register with the software enable, ISR/IRR/TMR and their priority rules, ESR, the ICR for
// fixed self-IPIs (the guest has one vCPU: every other destination or delivery mode is refused
// as unsupported), the x2APIC SELF_IPI register, the LVT entries with their masks (forced while
// the APIC is software-disabled), and the timer in one-shot and periodic mode with its divide
// configuration, and TSC-deadline mode (IA32_TSC_DEADLINE, MSR 0x6e0). Time is the TSC: the
// timer's input clock (before the divider) runs at the TSC frequency. Every value comes from the
// guest and is untrusted: reserved bits are cleared, and an access the architecture faults (a
// reserved x2APIC MSR, a write to a read-only one, a non-zero EOI or ESR write in x2APIC mode)
// returns an error for the caller to turn into #GP.
#ifndef PV_APIC_LOCAL_APIC_H_
#define PV_APIC_LOCAL_APIC_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::apic {

// Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + offset / 16.
enum Reg : u32 {
  kRegId = 0x020,
  kRegVersion = 0x030,
  kRegTpr = 0x080,
  kRegApr = 0x090,
  kRegPpr = 0x0a0,
  kRegEoi = 0x0b0,
  kRegRrd = 0x0c0,
  kRegLdr = 0x0d0,
  kRegDfr = 0x0e0,
  kRegSvr = 0x0f0,
  kRegIsr = 0x100,  // 8 registers, 0x10 apart
  kRegTmr = 0x180,
  kRegIrr = 0x200,
  kRegEsr = 0x280,
  kRegIcrLow = 0x300,
  kRegIcrHigh = 0x310,
  kRegLvtTimer = 0x320,
  kRegLvtThermal = 0x330,
  kRegLvtPerf = 0x340,
  kRegLvtLint0 = 0x350,
  kRegLvtLint1 = 0x360,
  kRegLvtError = 0x370,
  kRegTimerInitial = 0x380,
  kRegTimerCurrent = 0x390,
  kRegTimerDivide = 0x3e0,
  kRegSelfIpi = 0x3f0,  // x2APIC only
};

constexpr u64 kDefaultBase = 0xfee00000;
constexpr u32 kX2apicMsrFirst = 0x800, kX2apicMsrLast = 0x8ff;
constexpr u32 kApicBaseMsr = 0x1b;
constexpr u64 kApicBaseBsp = 1ull << 8, kApicBaseExtd = 1ull << 10, kApicBaseEnable = 1ull << 11;
constexpr u32 kLvtMasked = 1u << 16;
constexpr u32 kLvtTimerPeriodic = 1u << 17;
constexpr u32 kLvtTimerTscDeadline = 2u << 17;
constexpr u32 kLvtTimerModeMask = 3u << 17;
constexpr u32 kLvtDeliveryModeMask = 7u << 8;
constexpr u32 kLvtDeliveryExtInt = 7u << 8;
constexpr u32 kTscDeadlineMsr = 0x6e0;
constexpr u32 kSvrEnable = 1u << 8;
constexpr u32 kVersion = 0x00050014;  // integrated APIC, 6 LVT entries (max LVT index 5)
constexpr u32 kEsrReceiveIllegalVector = 1u << 6, kEsrSendIllegalVector = 1u << 5;

enum class Mode : u8 { kDisabled, kXapic, kX2apic };

class LocalApic {
 public:
  // The member initializers are the power-on state: globally enabled in xAPIC mode,
  // software-disabled (SVR = 0xff), every LVT masked, DFR flat, nothing pending.
  LocalApic() = default;

  // The APIC_BASE MSR. Writes follow the architecture's state machine: x2APIC only from an
  // enabled xAPIC, disabling resets the APIC, x2APIC -> xAPIC directly is refused; the base
  // address must stay at kDefaultBase (the paravisor maps only that page).
  u64 apic_base() const { return base_; }
  Status WriteApicBase(u64 value);
  Mode mode() const { return mode_; }

  // xAPIC page access: `offset` within the 4 KiB page, 4 bytes, 16-byte aligned. Reads of holes
  // return 0 and writes to read-only registers are ignored (as on hardware).
  Status ReadMmio(u32 offset, u32* value, u64 now);
  Status WriteMmio(u32 offset, u32 value, u64 now);
  // x2APIC MSR access (0x800..0x8ff). An error means #GP.
  Status ReadMsr(u32 msr, u64* value, u64 now);
  Status WriteMsr(u32 msr, u64 value, u64 now);

  // IA32_TSC_DEADLINE: armed by a non-zero write while the timer LVT is in TSC-deadline mode
  // (ignored otherwise, as on hardware); reads return the armed deadline, 0 once it fired.
  u64 tsc_deadline() const { return tsc_deadline_; }
  void WriteTscDeadline(u64 value, u64 now);

  // LINT0 programmed for ExtINT and unmasked: the legacy PIC's interrupts reach the CPU
  // (virtual-wire mode, what Linux sets up on the BSP without an I/O APIC).
  bool lint0_extint() const {
    return mode_ != Mode::kDisabled && software_enabled() &&
           (lvt_[3] & (kLvtMasked | kLvtDeliveryModeMask)) == kLvtDeliveryExtInt;
  }
  // The timer LVT's vector, for statistics.
  u8 timer_vector() const { return static_cast<u8>(lvt_[0] & 0xff); }

  // CR8 is TPR[7:4].
  u64 cr8() const { return tpr_ >> 4; }
  void SetCr8(u64 value) { tpr_ = static_cast<u32>(value & 0xf) << 4; }

  // Time, in ticks of the APIC timer's input clock (before the divider). Expired timers set
  // their vector in IRR. NextTimerEvent is when the timer next fires, or kNever.
  static constexpr u64 kNever = ~0ull;
  void AdvanceTime(u64 now);
  u64 NextTimerEvent() const { return timer_armed_ ? timer_deadline_ : kNever; }

  // The vector to inject now (highest in IRR whose priority class beats PPR's), or -1. The run
  // loop calls AcceptInterrupt once the vector has been delivered (IRR -> ISR).
  int PendingVector() const;
  void AcceptInterrupt(u8 vector);
  // An interrupt from a device model (edge-triggered, fixed delivery).
  void RaiseVector(u8 vector);

  u32 ppr() const;
  u64 timer_fired() const { return timer_fired_; }

 private:
  void Reset() { *this = LocalApic(); }
  bool software_enabled() const { return (svr_ & kSvrEnable) != 0; }
  Status Read(u32 offset, u64* value, u64 now, bool x2apic);
  Status Write(u32 offset, u64 value, u64 now, bool x2apic);
  void WriteLvt(u32 index, u32 value);
  Status SendIpi(u32 low, u32 destination, bool x2apic);
  void ReportError(u32 esr_bit);
  void Eoi();
  void StartTimer(u64 now);
  u32 TimerCurrent(u64 now) const;
  u32 Divisor() const;
  u32 LogicalId() const;

  u64 base_ = kDefaultBase | kApicBaseBsp | kApicBaseEnable;
  Mode mode_ = Mode::kXapic;
  u32 id_ = 0;  // xAPIC: bits 31:24 of the ID register; x2APIC: the whole value
  u32 tpr_ = 0, ldr_ = 0, dfr_ = 0xffffffff, svr_ = 0xff, esr_ = 0, esr_pending_ = 0;
  u32 icr_low_ = 0, icr_high_ = 0;
  u32 lvt_[6] = {kLvtMasked, kLvtMasked, kLvtMasked,
                 kLvtMasked, kLvtMasked, kLvtMasked};  // timer, thermal, perf, LINT0/1, error
  u32 timer_initial_ = 0, timer_divide_ = 0;
  u64 timer_start_ = 0, timer_deadline_ = 0, timer_period_ = 0, tsc_deadline_ = 0;
  bool timer_armed_ = false;
  u64 timer_fired_ = 0;
  u32 irr_[8] = {}, isr_[8] = {}, tmr_[8] = {};
};

}  // namespace pv::apic

#endif  // PV_APIC_LOCAL_APIC_H_
