// The guest's local APIC model: mode transitions, register semantics in xAPIC (MMIO) and x2APIC
// (MSR) form, priority (TPR/PPR/ISR/IRR), EOI, self-IPIs, LVT masks and the timer.
#include <gtest/gtest.h>

#include "apic/local_apic.h"

namespace pv::apic {
namespace {

constexpr u64 kX2apicOn = kDefaultBase | kApicBaseBsp | kApicBaseEnable | kApicBaseExtd;

u32 Mmio(LocalApic& a, u32 off, u64 now = 0) {
  u32 v = 0xdeadbeef;
  EXPECT_TRUE(a.ReadMmio(off, &v, now).ok()) << off;
  return v;
}

u64 Msr(LocalApic& a, u32 msr, u64 now = 0) {
  u64 v = 0xdeadbeef;
  EXPECT_TRUE(a.ReadMsr(msr, &v, now).ok()) << msr;
  return v;
}

// An x2APIC-mode APIC, software-enabled with spurious vector 0xff.
LocalApic EnabledX2apic() {
  LocalApic a;
  EXPECT_TRUE(a.WriteApicBase(kX2apicOn).ok());
  EXPECT_TRUE(a.WriteMsr(0x80f, 0x1ff, 0).ok());
  return a;
}

TEST(LocalApicTest, PowerOnState) {
  LocalApic a;
  EXPECT_EQ(a.mode(), Mode::kXapic);
  EXPECT_EQ(a.apic_base(), 0xfee00900u);
  EXPECT_EQ(Mmio(a, kRegVersion), kVersion);
  EXPECT_EQ(Mmio(a, kRegSvr), 0xffu);
  EXPECT_EQ(Mmio(a, kRegDfr), 0xffffffffu);
  for (u32 off = kRegLvtTimer; off <= kRegLvtError; off += 0x10)
    EXPECT_EQ(Mmio(a, off), kLvtMasked);
  EXPECT_EQ(a.PendingVector(), -1);
}

TEST(LocalApicTest, ApicBaseTransitions) {
  LocalApic a;
  EXPECT_FALSE(a.WriteApicBase(kDefaultBase | kApicBaseExtd).ok());        // x2APIC, no enable
  EXPECT_FALSE(a.WriteApicBase(0xfed00000 | kApicBaseEnable).ok());        // relocation
  EXPECT_FALSE(a.WriteApicBase(kDefaultBase | kApicBaseEnable | 1).ok());  // reserved bit
  ASSERT_TRUE(a.WriteApicBase(kX2apicOn).ok());
  EXPECT_EQ(a.mode(), Mode::kX2apic);
  EXPECT_FALSE(a.WriteApicBase(kDefaultBase | kApicBaseEnable).ok());  // x2APIC -> xAPIC
  ASSERT_TRUE(a.WriteApicBase(kDefaultBase).ok());                     // disable
  EXPECT_EQ(a.mode(), Mode::kDisabled);
  EXPECT_FALSE(a.WriteApicBase(kX2apicOn).ok());  // disabled -> x2APIC
  u32 v;
  EXPECT_FALSE(a.ReadMmio(kRegId, &v, 0).ok());
  ASSERT_TRUE(a.WriteApicBase(kDefaultBase | kApicBaseEnable).ok());
  EXPECT_EQ(a.mode(), Mode::kXapic);
}

TEST(LocalApicTest, DisablingResetsState) {
  LocalApic a = EnabledX2apic();
  ASSERT_TRUE(a.WriteMsr(0x808, 0x20, 0).ok());
  ASSERT_TRUE(a.WriteApicBase(kDefaultBase).ok());
  ASSERT_TRUE(a.WriteApicBase(kDefaultBase | kApicBaseEnable).ok());
  EXPECT_EQ(Mmio(a, kRegTpr), 0u);
  EXPECT_EQ(Mmio(a, kRegSvr), 0xffu);
}

TEST(LocalApicTest, X2apicMsrRules) {
  LocalApic a = EnabledX2apic();
  u64 v;
  EXPECT_EQ(Msr(a, 0x802), 0u);                         // ID
  EXPECT_EQ(Msr(a, 0x80d), 1u);                         // LDR derived from ID 0: cluster 0, bit 0
  EXPECT_FALSE(a.ReadMsr(0x80b, &v, 0).ok());           // EOI is write-only
  EXPECT_FALSE(a.ReadMsr(0x83f, &v, 0).ok());           // SELF_IPI is write-only
  EXPECT_FALSE(a.ReadMsr(0x80e, &v, 0).ok());           // no DFR in x2APIC mode
  EXPECT_FALSE(a.ReadMsr(0x831, &v, 0).ok());           // no ICR high half
  EXPECT_FALSE(a.ReadMsr(0x8ff, &v, 0).ok());           // reserved
  EXPECT_FALSE(a.WriteMsr(0x802, 5, 0).ok());           // ID is read-only
  EXPECT_FALSE(a.WriteMsr(0x803, 0, 0).ok());           // version is read-only
  EXPECT_FALSE(a.WriteMsr(0x80b, 1, 0).ok());           // non-zero EOI
  EXPECT_FALSE(a.WriteMsr(0x828, 1, 0).ok());           // non-zero ESR
  EXPECT_FALSE(a.WriteMsr(0x808, 0x100, 0).ok());       // TPR reserved bits
  EXPECT_FALSE(a.WriteMsr(0x808, 1ull << 32, 0).ok());  // upper half reserved
  EXPECT_FALSE(a.ReadMsr(0x1b, &v, 0).ok());            // not an x2APIC MSR
  LocalApic x;                                          // xAPIC mode: the MSRs fault
  EXPECT_FALSE(x.ReadMsr(0x802, &v, 0).ok());
}

TEST(LocalApicTest, XapicPageRules) {
  LocalApic a;
  ASSERT_TRUE(a.WriteMmio(kRegSvr, 0x1ff, 0).ok());
  ASSERT_TRUE(a.WriteMmio(kRegId, 0x05000000, 0).ok());
  EXPECT_EQ(Mmio(a, kRegId), 0x05000000u);
  ASSERT_TRUE(a.WriteMmio(kRegVersion, 0, 0).ok());  // read-only: ignored
  EXPECT_EQ(Mmio(a, kRegVersion), kVersion);
  ASSERT_TRUE(a.WriteMmio(kRegLdr, 0x12345678, 0).ok());
  EXPECT_EQ(Mmio(a, kRegLdr), 0x12000000u);
  EXPECT_EQ(Mmio(a, 0x400), 0u);  // a hole
  u32 v;
  EXPECT_FALSE(a.ReadMmio(0x24, &v, 0).ok());    // unaligned
  EXPECT_FALSE(a.ReadMmio(0x1000, &v, 0).ok());  // outside the page
}

TEST(LocalApicTest, PriorityTprAndEoi) {
  LocalApic a = EnabledX2apic();
  a.RaiseVector(0x41);
  a.RaiseVector(0x61);
  a.RaiseVector(0x65);
  EXPECT_EQ(a.PendingVector(), 0x65);
  a.AcceptInterrupt(0x65);
  EXPECT_EQ(Msr(a, 0x80a), 0x60u);            // PPR = ISR's class
  EXPECT_EQ(a.PendingVector(), -1);           // 0x61 is in the same class as the one in service
  EXPECT_EQ(Msr(a, 0x813), 1ull << 5);        // ISR bit 0x65
  EXPECT_EQ(Msr(a, 0x823), 1ull << 1);        // IRR bit 0x61
  ASSERT_TRUE(a.WriteMsr(0x80b, 0, 0).ok());  // EOI
  EXPECT_EQ(a.PendingVector(), 0x61);
  ASSERT_TRUE(a.WriteMsr(0x808, 0x70, 0).ok());  // TPR above both
  EXPECT_EQ(a.PendingVector(), -1);
  EXPECT_EQ(Msr(a, 0x80a), 0x70u);
  a.SetCr8(4);  // CR8 is TPR[7:4]
  EXPECT_EQ(Msr(a, 0x808), 0x40u);
  EXPECT_EQ(a.cr8(), 4u);
  EXPECT_EQ(a.PendingVector(), 0x61);
  a.AcceptInterrupt(0x61);
  ASSERT_TRUE(a.WriteMsr(0x80b, 0, 0).ok());
  EXPECT_EQ(a.PendingVector(), -1);           // 0x41 is not above TPR 0x40's class
  ASSERT_TRUE(a.WriteMsr(0x80b, 0, 0).ok());  // EOI with nothing in service: ignored
}

TEST(LocalApicTest, SelfIpis) {
  LocalApic a = EnabledX2apic();
  ASSERT_TRUE(a.WriteMsr(0x83f, 0x30, 0).ok());  // SELF_IPI
  EXPECT_EQ(a.PendingVector(), 0x30);
  a.AcceptInterrupt(0x30);
  ASSERT_TRUE(a.WriteMsr(0x80b, 0, 0).ok());
  ASSERT_TRUE(a.WriteMsr(0x830, (1u << 18) | 0x31, 0).ok());  // ICR, shorthand self
  EXPECT_EQ(a.PendingVector(), 0x31);
  a.AcceptInterrupt(0x31);
  ASSERT_TRUE(a.WriteMsr(0x80b, 0, 0).ok());
  ASSERT_TRUE(a.WriteMsr(0x830, 0x32, 0).ok());  // physical destination 0 = this APIC
  EXPECT_EQ(a.PendingVector(), 0x32);
  a.AcceptInterrupt(0x32);
  ASSERT_TRUE(a.WriteMsr(0x80b, 0, 0).ok());
  ASSERT_TRUE(a.WriteMsr(0x830, (3ull << 32) | 0x33, 0).ok());  // another CPU: nowhere
  ASSERT_TRUE(a.WriteMsr(0x830, (3u << 18) | 0x34, 0).ok());    // all excluding self
  EXPECT_EQ(a.PendingVector(), -1);
  EXPECT_EQ(a.WriteMsr(0x830, 0x500, 0).code(), Err::kUnsupported);  // INIT
  // An illegal vector sets ESR (latched by an ESR write) and the error LVT's vector.
  ASSERT_TRUE(a.WriteMsr(0x837, 0xfe, 0).ok());
  ASSERT_TRUE(a.WriteMsr(0x83f, 0x05, 0).ok());
  EXPECT_EQ(Msr(a, 0x828), 0u);
  ASSERT_TRUE(a.WriteMsr(0x828, 0, 0).ok());
  EXPECT_EQ(Msr(a, 0x828), kEsrReceiveIllegalVector);
  EXPECT_EQ(a.PendingVector(), 0xfe);
}

TEST(LocalApicTest, LvtMasksWhileSoftwareDisabled) {
  LocalApic a;
  ASSERT_TRUE(a.WriteMmio(kRegLvtTimer, 0x40, 0).ok());  // unmask attempt: refused
  EXPECT_EQ(Mmio(a, kRegLvtTimer), kLvtMasked | 0x40);
  ASSERT_TRUE(a.WriteMmio(kRegSvr, 0x1ff, 0).ok());
  ASSERT_TRUE(a.WriteMmio(kRegLvtTimer, 0xffffffff, 0).ok());
  // Reserved bits dropped; timer mode 3 is reserved and reads back as one-shot.
  EXPECT_EQ(Mmio(a, kRegLvtTimer), 0x100ffu);
  ASSERT_TRUE(a.WriteMmio(kRegLvtTimer, 0x40, 0).ok());
  EXPECT_EQ(Mmio(a, kRegLvtTimer), 0x40u);
  ASSERT_TRUE(a.WriteMmio(kRegSvr, 0xff, 0).ok());  // software disable masks every LVT
  EXPECT_EQ(Mmio(a, kRegLvtTimer), kLvtMasked | 0x40);
}

TEST(LocalApicTest, OneShotTimer) {
  LocalApic a = EnabledX2apic();
  ASSERT_TRUE(a.WriteMsr(0x83e, 0x3, 100).ok());   // divide by 16
  ASSERT_TRUE(a.WriteMsr(0x832, 0xec, 100).ok());  // one-shot, vector 0xec
  ASSERT_TRUE(a.WriteMsr(0x838, 1000, 100).ok());  // 1000 * 16 input ticks
  EXPECT_EQ(a.NextTimerEvent(), 100u + 16000);
  EXPECT_EQ(Msr(a, 0x839, 100 + 1600), 900u);  // current count
  a.AdvanceTime(100 + 15999);
  EXPECT_EQ(a.PendingVector(), -1);
  a.AdvanceTime(100 + 16000);
  EXPECT_EQ(a.PendingVector(), 0xec);
  EXPECT_EQ(a.NextTimerEvent(), LocalApic::kNever);
  EXPECT_EQ(Msr(a, 0x839, 200000), 0u);
  EXPECT_EQ(a.timer_fired(), 1u);
  ASSERT_TRUE(a.WriteMsr(0x838, 0, 200000).ok());  // a zero count stays stopped
  EXPECT_EQ(a.NextTimerEvent(), LocalApic::kNever);
}

TEST(LocalApicTest, PeriodicTimerAndMask) {
  LocalApic a = EnabledX2apic();
  ASSERT_TRUE(a.WriteMsr(0x83e, 0xb, 0).ok());                       // divide by 1
  ASSERT_TRUE(a.WriteMsr(0x832, kLvtTimerPeriodic | 0xef, 0).ok());  // periodic
  ASSERT_TRUE(a.WriteMsr(0x838, 500, 0).ok());
  a.AdvanceTime(500);
  EXPECT_EQ(a.PendingVector(), 0xef);
  a.AcceptInterrupt(0xef);
  ASSERT_TRUE(a.WriteMsr(0x80b, 0, 0).ok());
  EXPECT_EQ(a.NextTimerEvent(), 1000u);
  a.AdvanceTime(2750);  // periods missed without an exit: one interrupt, grid kept
  EXPECT_EQ(a.NextTimerEvent(), 3000u);
  EXPECT_EQ(Msr(a, 0x839, 2750), 250u);
  EXPECT_EQ(a.PendingVector(), 0xef);
  a.AcceptInterrupt(0xef);
  ASSERT_TRUE(a.WriteMsr(0x80b, 0, 2750).ok());
  ASSERT_TRUE(a.WriteMsr(0x832, kLvtMasked | kLvtTimerPeriodic | 0xef, 2750).ok());
  a.AdvanceTime(3000);  // masked: counts, delivers nothing
  EXPECT_EQ(a.PendingVector(), -1);
  EXPECT_EQ(a.NextTimerEvent(), 3500u);
  EXPECT_EQ(a.timer_fired(), 3u);
}

}  // namespace
}  // namespace pv::apic
