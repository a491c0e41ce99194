// The PC devices a Linux guest gets (paravisor/devices/): the 8259A pair, the 16550A UART and its
// interrupt line, the 8254 PIT and the CMOS RTC; the MP tables; the APIC's TSC-deadline mode;
// and their wiring in the exit handlers (ports, CPUID, interrupt delivery, HLT).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "apic/local_apic.h"
#include "devices/cmos_rtc.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/uart16550.h"
#include "exits/guest_interrupts.h"
#include "exits/handlers.h"
#include "fake_host.h"
#include "guest/mp_table.h"

namespace pv {
namespace {

using devices::CmosRtc;
using devices::Pic8259Pair;
using devices::Pit8254;
using devices::Uart16550;

// Linux's init_8259A: ICW1..ICW4 with vectors 0x30/0x38, cascade on IRQ 2, normal EOI.
Pic8259Pair LinuxPic() {
  Pic8259Pair p;
  p.Write(0x21, 0xff);
  p.Write(0x20, 0x11);
  p.Write(0x21, 0x30);
  p.Write(0x21, 0x04);
  p.Write(0x21, 0x01);
  p.Write(0xa0, 0x11);
  p.Write(0xa1, 0x38);
  p.Write(0xa1, 0x02);
  p.Write(0xa1, 0x01);
  p.Write(0x21, 0xfb);  // everything masked but the cascade
  p.Write(0xa1, 0xff);
  return p;
}

TEST(Pic8259Test, ProbeReadsBackTheMask) {
  Pic8259Pair p;
  p.Write(0xa1, 0xff);
  p.Write(0x21, 0xfb);
  EXPECT_EQ(p.Read(0x21), 0xfb);
  EXPECT_EQ(p.Read(0xa1), 0xff);
}

TEST(Pic8259Test, EdgeMaskAcknowledgeAndEoi) {
  Pic8259Pair p = LinuxPic();
  p.SetLine(4, true);
  EXPECT_EQ(p.PendingVector(), -1);  // masked
  p.Write(0x21, 0xeb);               // unmask IRQ 4
  EXPECT_EQ(p.PendingVector(), 0x34);
  EXPECT_EQ(p.Acknowledge(), 0x34);
  EXPECT_EQ(p.PendingVector(), -1);  // in service; the line is still high but no new edge
  p.Write(0x20, 0x0b);               // OCW3: read ISR
  EXPECT_EQ(p.Read(0x20), 0x10);
  p.Write(0x20, 0x64);  // specific EOI for IRQ 4
  EXPECT_EQ(p.Read(0x20), 0x00);
  EXPECT_EQ(p.PendingVector(), -1);
  p.SetLine(4, false);
  p.SetLine(4, true);  // a new edge
  EXPECT_EQ(p.PendingVector(), 0x34);
  p.SetLine(4, false);  // withdrawn before the acknowledge: dropped
  EXPECT_EQ(p.PendingVector(), -1);
}

TEST(Pic8259Test, PriorityAndSlaveCascade) {
  Pic8259Pair p = LinuxPic();
  p.Write(0x21, 0x00);
  p.Write(0xa1, 0x00);
  p.SetLine(4, true);
  EXPECT_EQ(p.Acknowledge(), 0x34);
  p.SetLine(3, true);  // higher priority than the one in service: presented
  EXPECT_EQ(p.PendingVector(), 0x33);
  p.SetLine(5, true);  // lower: waits
  EXPECT_EQ(p.Acknowledge(), 0x33);
  EXPECT_EQ(p.PendingVector(), -1);
  p.Write(0x20, 0x20);  // non-specific EOI: IRQ 3
  p.Write(0x20, 0x20);  // IRQ 4
  EXPECT_EQ(p.PendingVector(), 0x35);
  EXPECT_EQ(p.Acknowledge(), 0x35);
  p.Write(0x20, 0x20);
  p.SetLine(12, true);  // through the slave on IRQ 2
  EXPECT_EQ(p.PendingVector(), 0x3c);
  EXPECT_EQ(p.Acknowledge(), 0x3c);
  p.Write(0xa0, 0x0b);
  EXPECT_EQ(p.Read(0xa0), 0x10);
  p.Write(0x20, 0x0b);
  EXPECT_EQ(p.Read(0x20), 0x04);
  p.SetLine(200, true);  // out of range: ignored
  EXPECT_EQ(p.PendingVector(), -1);
}

TEST(Uart16550Test, ProbeRegistersAndLoopback) {
  Uart16550 u;
  u8 tx = 0;
  EXPECT_FALSE(u.Write(7, 0xa5, &tx));
  EXPECT_EQ(u.Read(7), 0xa5);
  EXPECT_FALSE(u.Write(1, 0xff, &tx));
  EXPECT_EQ(u.Read(1), 0x0f);
  EXPECT_FALSE(u.Write(3, 0x83, &tx));  // DLAB
  EXPECT_FALSE(u.Write(0, 0x01, &tx));
  EXPECT_FALSE(u.Write(1, 0x00, &tx));
  EXPECT_EQ(u.Read(0), 0x01);
  EXPECT_FALSE(u.Write(3, 0x03, &tx));
  EXPECT_FALSE(u.Write(4, 0x1a, &tx));  // loopback, RTS, OUT2
  EXPECT_EQ(u.Read(6) & 0xf0, 0x90);    // CTS, DCD: what the 8250 probe checks
  EXPECT_FALSE(u.Write(2, 0xc7, &tx));
  EXPECT_EQ(u.Read(2) & 0xc0, 0xc0);  // FIFOs enabled: a 16550A
  EXPECT_EQ(u.Read(5), 0x60);
}

TEST(Uart16550Test, TransmitInterruptFollowsTheChip) {
  Uart16550 u;
  u8 tx = 0;
  u.Write(1, 0x00, &tx);
  u.Write(4, 0x0b, &tx);  // DTR, RTS, OUT2
  EXPECT_FALSE(u.interrupt_line());
  u.Write(1, 0x02, &tx);  // ETBEI with THR empty: raised
  EXPECT_TRUE(u.interrupt_line());
  EXPECT_EQ(u.Read(2) & 0x0f, 0x02);  // IIR: THR empty, and reading it clears it
  EXPECT_FALSE(u.interrupt_line());
  EXPECT_EQ(u.Read(2) & 0x0f, 0x01);
  EXPECT_TRUE(u.Write(0, 'x', &tx));
  EXPECT_EQ(tx, 'x');
  EXPECT_TRUE(u.interrupt_line());  // sent at once: empty again
  u.Write(4, 0x03, &tx);            // OUT2 clear: the line to the PIC is gated off
  EXPECT_FALSE(u.interrupt_line());
  u.Write(4, 0x1b, &tx);  // loopback disconnects it too
  EXPECT_FALSE(u.interrupt_line());
}

TEST(Pit8254Test, Channel2CountsDownFromTheTsc) {
  Pit8254 pit;
  constexpr u64 kHz = Pit8254::kInputHz * 10;  // 10 TSC ticks per PIT tick
  pit.SetClock(kHz);
  pit.Write(0x61, 0x01, 0);  // gate high
  pit.Write(0x43, 0xb0, 0);  // channel 2, LSB+MSB, mode 0
  pit.Write(0x42, 0xff, 0);
  pit.Write(0x42, 0xff, 1000);                         // counting starts at PIT tick 100
  EXPECT_EQ(pit.Read(0x42, 1000 + 10 * 0x100), 0xff);  // LSB of 0xfeff
  EXPECT_EQ(pit.Read(0x42, 1000 + 10 * 0x100), 0xfe);  // MSB
  EXPECT_EQ(pit.Read(0x61, 1000) & 0x20, 0);           // OUT2 low while counting
  EXPECT_EQ(pit.Read(0x61, 1000 + 10 * 0x10000) & 0x20, 0x20);
  pit.Write(0x43, 0x80, 1000 + 10 * 0x200);  // latch channel 2
  EXPECT_EQ(pit.Read(0x42, 1000 + 10 * 0x300), 0xff);
  EXPECT_EQ(pit.Read(0x42, 1000 + 10 * 0x300), 0xfd);  // the latched 0xfdff, not the live one
  EXPECT_EQ(pit.Read(0x42, 1000 + 10 * 0x300), 0xff);
  EXPECT_EQ(pit.Read(0x42, 1000 + 10 * 0x300), 0xfc);  // live again: 0xfcff
  pit.Write(0x43, 0x34, 0);                            // channel 0, mode 2, reload 100
  pit.Write(0x40, 100, 0);
  pit.Write(0x40, 0, 0);
  EXPECT_EQ(pit.Read(0x40, 10 * 250), 50);  // periodic: 250 ticks = 2.5 periods
  EXPECT_EQ(pit.Read(0x40, 10 * 250), 0);
}

TEST(CmosRtcTest, ClockStartsAt2000AndRuns) {
  CmosRtc rtc;
  constexpr u64 kHz = 1000;
  rtc.Start(500, kHz);
  auto reg = [&](u8 index, u64 now) {
    rtc.Write(0x70, index);
    return rtc.Read(0x71, now);
  };
  EXPECT_EQ(reg(0x0a, 500) & 0x80, 0);  // never updating
  EXPECT_EQ(reg(0x0d, 500), 0x80);
  EXPECT_EQ(reg(0x09, 500), 0x00);
  EXPECT_EQ(reg(0x32, 500), 0x20);
  EXPECT_EQ(reg(0x08, 500), 0x01);
  EXPECT_EQ(reg(0x07, 500), 0x01);
  EXPECT_EQ(reg(0x06, 500), 7);  // Saturday
  // 2000 is a leap year: day 59 is 29 February; plus 13:45:30.
  const u64 t = 500 + (59ull * 86400 + 13 * 3600 + 45 * 60 + 30) * kHz;
  EXPECT_EQ(reg(0x08, t), 0x02);
  EXPECT_EQ(reg(0x07, t), 0x29);
  EXPECT_EQ(reg(0x04, t), 0x13);
  EXPECT_EQ(reg(0x02, t), 0x45);
  EXPECT_EQ(reg(0x00, t), 0x30);
  rtc.Write(0x70, 0x0b);
  rtc.Write(0x71, 0x04);  // binary, 12-hour
  EXPECT_EQ(reg(0x04, t), 0x80 | 1);
  EXPECT_EQ(reg(0x00, t), 30);
  rtc.Write(0x70, 0x00);
  rtc.Write(0x71, 0x12);  // the clock cannot be set
  EXPECT_EQ(reg(0x00, t), 30);
  rtc.Write(0x70, 0xc0);  // NMI bit and CMOS RAM
  rtc.Write(0x71, 0x5a);
  EXPECT_EQ(reg(0x40, t), 0x5a);
}

TEST(LocalApicTscDeadlineTest, ArmsFiresAndIgnoresInitialCount) {
  apic::LocalApic a;
  ASSERT_TRUE(a.WriteMmio(apic::kRegSvr, 0x1ff, 0).ok());
  a.WriteTscDeadline(5000, 0);  // not in TSC-deadline mode: ignored
  EXPECT_EQ(a.tsc_deadline(), 0u);
  ASSERT_TRUE(a.WriteMmio(apic::kRegLvtTimer, apic::kLvtTimerTscDeadline | 0xec, 0).ok());
  ASSERT_TRUE(a.WriteMmio(apic::kRegTimerInitial, 100, 0).ok());  // ignored in this mode
  EXPECT_EQ(a.NextTimerEvent(), apic::LocalApic::kNever);
  a.WriteTscDeadline(5000, 10);
  EXPECT_EQ(a.NextTimerEvent(), 5000u);
  a.AdvanceTime(4999);
  EXPECT_EQ(a.PendingVector(), -1);
  a.AdvanceTime(5000);
  EXPECT_EQ(a.PendingVector(), 0xec);
  EXPECT_EQ(a.tsc_deadline(), 0u);  // reads 0 once fired
  a.WriteTscDeadline(3, 10);        // in the past: fires at once
  EXPECT_EQ(a.tsc_deadline(), 0u);
  a.WriteTscDeadline(9000, 10);
  ASSERT_TRUE(a.WriteMmio(apic::kRegLvtTimer, 0xec, 20).ok());  // mode change disarms
  EXPECT_EQ(a.NextTimerEvent(), apic::LocalApic::kNever);
  ASSERT_TRUE(a.WriteMmio(apic::kRegLvtTimer, (3u << 17) | 0xec, 20).ok());  // reserved mode
  u32 lvt = 0;
  ASSERT_TRUE(a.ReadMmio(apic::kRegLvtTimer, &lvt, 20).ok());
  EXPECT_EQ(lvt & apic::kLvtTimerModeMask, 0u);
}

TEST(MpTableTest, FloatingPointerAndTableChecksumToZero) {
  std::vector<u8> ram(2 << 20);
  GuestMemory memory(ram.data(), 0, ram.size());
  ASSERT_TRUE(mp_table::WriteMpTables(memory).ok());
  const u8* fp = ram.data() + mp_table::kFloatingPointerGpa;
  EXPECT_EQ(std::memcmp(fp, "_MP_", 4), 0);
  u8 sum = 0;
  for (int i = 0; i < 16; ++i) sum = static_cast<u8>(sum + fp[i]);
  EXPECT_EQ(sum, 0);
  u32 table = 0;
  std::memcpy(&table, fp + 4, 4);
  ASSERT_EQ(table, mp_table::kConfigTableGpa);
  const u8* t = ram.data() + table;
  EXPECT_EQ(std::memcmp(t, "PCMP", 4), 0);
  u16 len = 0;
  std::memcpy(&len, t + 4, 2);
  sum = 0;
  for (u16 i = 0; i < len; ++i) sum = static_cast<u8>(sum + t[i]);
  EXPECT_EQ(sum, 0);
  EXPECT_EQ(t[44], 0);     // a processor entry
  EXPECT_EQ(t[47], 0x03);  // enabled, bootstrap
  EXPECT_EQ(t[64], 1);     // the ISA bus
  GuestMemory tiny(ram.data(), 0, 0x9f000);
  EXPECT_FALSE(mp_table::WriteMpTables(tiny).ok());
}

// The wiring: platform ports, CPUID, and what the run loop would inject.
struct PlatformFixture : ::testing::Test {
  std::vector<u8> ram = std::vector<u8>(1 << 20);
  Vcpu vcpu;
  void SetUp() override {
    fake::Reset();
    vcpu.memory = GuestMemory(ram.data(), 0, ram.size());
    EnableGuestInterruptControllers(vcpu, 2000000);
  }
  void Out(u16 port, u8 value) {
    Exit e;
    e.reason = ExitReason::kIo;
    e.io = {port, 1, false, false, false};
    e.instruction_length = 1;
    e.length_valid = true;
    vcpu.set_gpr(kRax, value);
    ASSERT_EQ(ProcessExit(vcpu, e), ExitAction::kResumeNext);
  }
  u8 In(u16 port) {
    Exit e;
    e.reason = ExitReason::kIo;
    e.io = {port, 1, true, false, false};
    e.instruction_length = 1;
    e.length_valid = true;
    EXPECT_EQ(ProcessExit(vcpu, e), ExitAction::kResumeNext);
    return static_cast<u8>(vcpu.gpr(kRax));
  }
};

TEST_F(PlatformFixture, UartInterruptReachesThePicAndLint0) {
  const u8 pic_init[][2] = {
      {0x20, 0x11}, {0x21, 0x30}, {0x21, 0x04}, {0x21, 0x01}, {0x21, 0xef}};  // IRQ 4 unmasked
  for (const auto& w : pic_init) Out(w[0], w[1]);
  Out(0x3fc, 0x08);                                   // OUT2
  Out(0x3f9, 0x02);                                   // ETBEI
  EXPECT_EQ(PendingGuestInterrupt(vcpu).vector, -1);  // LINT0 still masked
  ASSERT_TRUE(vcpu.irq.lapic.WriteMmio(apic::kRegSvr, 0x1ff, 0).ok());
  ASSERT_TRUE(vcpu.irq.lapic.WriteMmio(apic::kRegLvtLint0, 0x700, 0).ok());  // ExtINT
  const GuestInterrupt irq = PendingGuestInterrupt(vcpu);
  EXPECT_EQ(irq.vector, 0x34);
  EXPECT_TRUE(irq.from_pic);
  AcceptGuestInterrupt(vcpu, irq);
  EXPECT_EQ(vcpu.irq.injected_pic, 1u);
  EXPECT_EQ(In(0x3fa) & 0x0f, 0x02);  // the handler reads IIR
  Out(0x20, 0x64);
  EXPECT_EQ(PendingGuestInterrupt(vcpu).vector, -1);
}

TEST_F(PlatformFixture, TimerInterruptAndHltWakeUp) {
  ASSERT_TRUE(vcpu.irq.lapic.WriteMmio(apic::kRegSvr, 0x1ff, 0).ok());
  ASSERT_TRUE(
      vcpu.irq.lapic.WriteMmio(apic::kRegLvtTimer, apic::kLvtTimerTscDeadline | 0xec, 0).ok());
  Exit wr;
  wr.reason = ExitReason::kMsrWrite;
  wr.msr = apic::kTscDeadlineMsr;
  wr.instruction_length = 2;
  wr.length_valid = true;
  vcpu.set_gpr(kRax, static_cast<u32>(fake::Tsc() + 12345));
  vcpu.set_gpr(kRdx, (fake::Tsc() + 12345) >> 32);
  ASSERT_EQ(ProcessExit(vcpu, wr), ExitAction::kResumeNext);
  EXPECT_EQ(NextGuestTimerTsc(vcpu), fake::Tsc() + 12345);
  Exit hlt;
  hlt.reason = ExitReason::kHlt;
  hlt.instruction_length = 1;
  hlt.length_valid = true;
  vcpu.set_reg(Reg::kRflags, 0x202);
  fake::Timer().tsc_per_wait = 1000000;
  ASSERT_EQ(ProcessExit(vcpu, hlt), ExitAction::kResumeNext);
  const GuestInterrupt irq = PendingGuestInterrupt(vcpu);
  EXPECT_EQ(irq.vector, 0xec);  // woke at the deadline, not a whole tick later
  AcceptGuestInterrupt(vcpu, irq);
  EXPECT_EQ(vcpu.irq.injected_timer, 1u);
}

TEST_F(PlatformFixture, CpuidAdvertisesWhatTheApicModelBacks) {
  auto cpuid = [&](u32 leaf) {
    Exit e;
    e.reason = ExitReason::kCpuid;
    e.instruction_length = 2;
    e.length_valid = true;
    vcpu.set_gpr(kRax, leaf);
    vcpu.set_gpr(kRcx, 0);
    return ProcessExit(vcpu, e);
  };
  fake::CpuidTable()[{0, 0}] = {0xd, 0, 0, 0};
  fake::CpuidTable()[{1, 0}] = {0, 0, 0, 1u << 9};
  ASSERT_EQ(cpuid(1), ExitAction::kResumeNext);
  EXPECT_NE(vcpu.gpr(kRcx) & (1u << 21), 0u);
  EXPECT_NE(vcpu.gpr(kRcx) & (1u << 24), 0u);
  ASSERT_EQ(cpuid(6), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu.gpr(kRax), 1u << 2);  // ARAT only
  ASSERT_EQ(cpuid(0x40000000), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu.gpr(kRax), 0x40000010u);
  ASSERT_EQ(cpuid(0x40000010), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu.gpr(kRax), 2000000u);
  vcpu.irq.enabled = false;  // a guest of the paravisor's own ABI: hidden as before
  ASSERT_EQ(cpuid(1), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu.gpr(kRcx) & ((1u << 21) | (1u << 24)), 0u);
}

TEST_F(PlatformFixture, ApicMsrsFaultWhereTheArchitectureDoes) {
  Exit rd;
  rd.reason = ExitReason::kMsrRead;
  rd.msr = 0x802;  // x2APIC ID while in xAPIC mode
  rd.instruction_length = 2;
  rd.length_valid = true;
  EXPECT_EQ(ProcessExit(vcpu, rd), ExitAction::kResumeSame);
  EXPECT_TRUE(vcpu.pending.valid);
  vcpu.pending.valid = false;
  rd.msr = apic::kApicBaseMsr;
  ASSERT_EQ(ProcessExit(vcpu, rd), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu.gpr(kRax), 0xfee00900u);
}

}  // namespace
}  // namespace pv
