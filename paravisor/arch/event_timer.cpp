#include "arch/event_timer.h"

#include "arch/cpu.h"
#include "arch/descriptors.h"
#include "arch/tsc.h"
#include "lib/log.h"
#include "mm/paging.h"

namespace pv::arch {
namespace {

constexpr u64 kApicBaseEnable = 1ull << 11;
constexpr u64 kApicBaseAddrMask = 0x000ffffffffff000ull;
constexpr u32 kCpuid1EdxApic = 1u << 9;

// xAPIC register offsets (SDM vol. 3, table 11-1).
constexpr u32 kRegTpr = 0x080;
constexpr u32 kRegEoi = 0x0b0;
constexpr u32 kRegSvr = 0x0f0;
constexpr u32 kRegLvtTimer = 0x320;
constexpr u32 kRegTimerInitial = 0x380;
constexpr u32 kRegTimerCurrent = 0x390;
constexpr u32 kRegTimerDivide = 0x3e0;
constexpr u32 kSvrEnable = 1u << 8;
constexpr u32 kLvtMasked = 1u << 16;
constexpr u32 kLvtPeriodic = 1u << 17;
constexpr u32 kDivideBy16 = 0x3;

volatile u32* g_apic = nullptr;
volatile u64 g_ticks = 0;
u64 g_tsc_per_ms = 0;

u32 ApicRead(u32 reg) {
  return g_apic[reg / 4];
}
void ApicWrite(u32 reg, u32 value) {
  g_apic[reg / 4] = value;
}

struct InterruptFrame;

// The tick: count it and end the interrupt. Built as an interrupt service routine (the compiler
// saves every register it uses and returns with IRETQ); -mgeneral-regs-only keeps it off SSE.
__attribute__((interrupt)) void TimerInterrupt(InterruptFrame*) {
  g_ticks = g_ticks + 1;
  g_apic[kRegEoi / 4] = 0;
}

// A spurious interrupt has no in-service bit to clear: no EOI (SDM vol. 3, 11.9).
__attribute__((interrupt)) void SpuriousInterrupt(InterruptFrame*) {}

}  // namespace

u64 AcknowledgeTimerInterrupts() {
  if (g_apic != nullptr) asm volatile("sti\n\tnop\n\tcli" ::: "memory");
  return g_ticks;
}

void WaitForTimerEvent() {
  if (g_apic == nullptr) return;
  const u64 before = g_ticks;
  // STI's one-instruction shadow covers the HLT, so a tick cannot slip in between and leave the
  // CPU halted until the one after; the loop ignores wake-ups that were not the timer's.
  for (u32 spins = 0; g_ticks == before && spins < 1000; ++spins) {
    asm volatile("sti\n\thlt\n\tcli" ::: "memory");
  }
}

void WaitForTimerEventOrTsc(u64 deadline_tsc) {
  const u64 now = Rdtsc();
  if (g_apic == nullptr || deadline_tsc <= now) return;
  if (deadline_tsc - now >= TscTicksPerMs() * kTimerTickMs) {
    WaitForTimerEvent();
    return;
  }
  const u64 ticks = g_ticks;
  while (Rdtsc() < deadline_tsc && g_ticks == ticks) {
    // Interrupts on while polling, so the tick is still taken (and counted) on time.
    asm volatile("sti\n\tpause\n\tcli" ::: "memory");
  }
}

void PauseEventTimer(bool paused) {
  if (g_apic == nullptr) return;
  ApicWrite(kRegLvtTimer, (paused ? kLvtMasked : 0) | kLvtPeriodic | kTimerVector);
}

u64 TscTicksPerMs() {
  if (g_tsc_per_ms == 0) g_tsc_per_ms = TscHz() / 1000 ? TscHz() / 1000 : 1;
  return g_tsc_per_ms;
}

Status StartEventTimer() {
  if ((Cpuid(1).edx & kCpuid1EdxApic) == 0) {
    return Status(Err::kUnsupported, "timer: CPU has no local APIC");
  }
  const u64 base_msr = Rdmsr(kMsrApicBase);
  const u64 base = base_msr & kApicBaseAddrMask;
  PV_TRY(mm::MapIdentity(base, kPageSize, mm::Caching::kUncached));
  if ((base_msr & kApicBaseEnable) == 0) Wrmsr(kMsrApicBase, base_msr | kApicBaseEnable);
  g_apic = reinterpret_cast<volatile u32*>(base);  // NOLINT(performance-no-int-to-ptr): MMIO
  SetInterruptGate(kTimerVector, reinterpret_cast<u64>(&TimerInterrupt));
  SetInterruptGate(kSpuriousVector, reinterpret_cast<u64>(&SpuriousInterrupt));

  ApicWrite(kRegTpr, 0);
  ApicWrite(kRegSvr, kSvrEnable | kSpuriousVector);
  // Calibrate: a masked one-shot count from the maximum over one tick period of TSC time.
  ApicWrite(kRegTimerDivide, kDivideBy16);
  ApicWrite(kRegLvtTimer, kLvtMasked | kTimerVector);
  ApicWrite(kRegTimerInitial, 0xffffffffu);
  const u64 start = Rdtsc();
  const u64 period_tsc = TscTicksPerMs() * kTimerTickMs;
  while (Rdtsc() - start < period_tsc) {
  }
  const u32 counted = 0xffffffffu - ApicRead(kRegTimerCurrent);
  ApicWrite(kRegTimerInitial, 0);
  const u32 initial = counted != 0 ? counted : 1;
  ApicWrite(kRegLvtTimer, kLvtPeriodic | kTimerVector);
  ApicWrite(kRegTimerInitial, initial);
  Log("timer: local APIC at 0x%lx, tick every %lu ms (%u APIC counts, %lu TSC ticks/ms)", base,
      kTimerTickMs, initial, TscTicksPerMs());
  return Status::Ok();
}

}  // namespace pv::arch
