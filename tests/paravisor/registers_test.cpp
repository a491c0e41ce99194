// The register cache (vcpu/registers.h) with a map-backed backend (fake::RegisterSource): after
// an exit only what the backend marked available is known, a handler's first read fetches from
// the backend exactly once, and its writes are marked dirty for the write-back.
#include <gtest/gtest.h>

#include "arch/registers.h"
#include "exits/handlers.h"
#include "fake_host.h"
#include "guest/abi.h"
#include "vcpu/vcpu.h"

namespace pv {
namespace {

class RegisterCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake::Reset();
    fake::FakeRegisterSource& src = fake::RegisterSource();
    src.values[static_cast<u8>(Reg::kRip)] = 0x101000;
    src.values[static_cast<u8>(Reg::kCpl)] = 0;
    src.values[static_cast<u8>(Reg::kCr4)] = arch::kCr4Osxsave | arch::kCr4Pae;
    src.values[static_cast<u8>(Reg::kRflags)] = 0x202;
    src.values[kRsp] = 0x8000;
    // As a legacy backend leaves the cache after an exit: the switched GPRs only.
    vcpu_.BeginExit(kSwitchedGprs);
  }

  Exit HypercallExit(u64 length) {
    Exit e;
    e.reason = ExitReason::kHypercall;
    e.instruction_length = length;
    e.length_valid = true;
    return e;
  }

  Vcpu vcpu_;
};

TEST_F(RegisterCacheTest, AfterAnExitOnlyTheSwitchedGprsAreKnown) {
  vcpu_.set_gpr(kRax, 7);
  EXPECT_EQ(vcpu_.gpr(kRax), 7u);
  EXPECT_EQ(fake::RegisterSource().calls, 0u) << "a switched GPR needs no fetch";
  EXPECT_EQ(vcpu_.gpr(kRsp), 0x8000u);
  EXPECT_EQ(fake::RegisterSource().fetched, GprBit(kRsp));
  EXPECT_EQ(vcpu_.gpr(kRsp), 0x8000u);
  EXPECT_EQ(fake::RegisterSource().calls, 1u) << "cached until the next exit";
}

TEST_F(RegisterCacheTest, NullHypercallFetchesCplAndRipOnlyAndDirtiesRip) {
  vcpu_.set_gpr(kRax, abi::kHcNop);
  vcpu_.BeginExit(kSwitchedGprs);
  EXPECT_EQ(ProcessExit(vcpu_, HypercallExit(3)), ExitAction::kResumeNext);
  EXPECT_EQ(fake::RegisterSource().fetched, RegBit(Reg::kCpl) | RegBit(Reg::kRip));
  EXPECT_EQ(vcpu_.rip(), 0x101003u);
  EXPECT_TRUE(vcpu_.dirty(Reg::kRip)) << "the advance must reach the hardware";
  EXPECT_FALSE(vcpu_.dirty(Reg::kCpl));
  EXPECT_EQ(vcpu_.regs.dirty & ~kAllGprs, RegBit(Reg::kRip)) << "nothing else written back";
  // The next exit forgets everything the backend did not provide.
  vcpu_.BeginExit(kSwitchedGprs);
  EXPECT_FALSE(vcpu_.dirty(Reg::kRip));
  EXPECT_EQ(vcpu_.rip(), 0x101000u) << "fetched again from the backend";
}

TEST_F(RegisterCacheTest, ProvidedRegistersAreNotFetched) {
  vcpu_.set_gpr(kRax, abi::kHcNop);
  vcpu_.BeginExit(kSwitchedGprs);
  vcpu_.Provide(Reg::kRip, 0x200000);
  vcpu_.Provide(Reg::kCpl, 0);
  EXPECT_EQ(ProcessExit(vcpu_, HypercallExit(3)), ExitAction::kResumeNext);
  EXPECT_EQ(fake::RegisterSource().calls, 0u);
  EXPECT_EQ(vcpu_.rip(), 0x200003u);
}

TEST_F(RegisterCacheTest, CpuidReadsCr4OnlyForLeafOne) {
  fake::CpuidTable()[{0, 0}] = {0xd, 0x756e6547, 0x6c65746e, 0x49656e69};
  fake::CpuidTable()[{1, 0}] = {0x306a9, 0, 0, 0};
  vcpu_.set_gpr(kRax, 0);
  vcpu_.set_gpr(kRcx, 0);
  Exit cpuid;
  cpuid.reason = ExitReason::kCpuid;
  EXPECT_EQ(DispatchExit(vcpu_, cpuid), ExitAction::kResumeNext);
  EXPECT_EQ(fake::RegisterSource().fetched, 0u) << "leaf 0 needs no control register";
  vcpu_.set_gpr(kRax, 1);
  EXPECT_EQ(DispatchExit(vcpu_, cpuid), ExitAction::kResumeNext);
  EXPECT_EQ(fake::RegisterSource().fetched, RegBit(Reg::kCr4));
  EXPECT_NE(vcpu_.gpr(kRcx) & (1u << 27), 0u) << "OSXSAVE from the fetched CR4";
}

TEST_F(RegisterCacheTest, HltReadsRflagsAndPagingIsFetchedTogether) {
  Exit hlt;
  hlt.reason = ExitReason::kHlt;
  hlt.instruction_length = 1;
  hlt.length_valid = true;
  EXPECT_EQ(ProcessExit(vcpu_, hlt), ExitAction::kResumeNext);  // IF=1: sleeps until the tick
  EXPECT_EQ(fake::RegisterSource().fetched, RegBit(Reg::kRflags) | RegBit(Reg::kRip));
  const u32 calls = fake::RegisterSource().calls;
  (void)vcpu_.paging();
  EXPECT_EQ(fake::RegisterSource().calls, calls + 1) << "CR0, CR3, CR4 and EFER in one fetch";
  EXPECT_EQ(fake::RegisterSource().fetched & kPagingRegs, kPagingRegs);
}

}  // namespace
}  // namespace pv
