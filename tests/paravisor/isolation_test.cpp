// Handlers added for isolation and architectural correctness: XSETBV against the CPUID policy,
// the time budget and HLT's wait for the timer, control-register writes, the CPUID table's
// hidden features and the MSRs of the features it keeps, and the exit decoding behind them.
#include <gtest/gtest.h>

#include "exits/cpuid_policy.h"
#include "exits/cr_policy.h"
#include "exits/handlers.h"
#include "guest_fixture.h"
#include "svm/svm_vcpu.h"
#include "vmx/vmx_exit.h"

namespace pv {
namespace {

using IsolationTest = GuestFixture;

void SetXsaveLeaf(u64 supported) {
  fake::CpuidTable()[{0, 0}] = {0xd, 0, 0, 0};
  fake::CpuidTable()[{0xd, 0}] = {static_cast<u32>(supported), 0x340, 0x988,
                                  static_cast<u32>(supported >> 32)};
}

ExitAction Xsetbv(Vcpu& vcpu, u64 ecx, u64 value) {
  vcpu.set_gpr(kRcx, ecx);
  vcpu.set_gpr(kRax, value & 0xffffffff);
  vcpu.set_gpr(kRdx, value >> 32);
  return DispatchExit(vcpu, MakeExit(ExitReason::kXsetbv));
}

TEST_F(IsolationTest, XsetbvIsCheckedAgainstTheCpuidLeafAndTheCombinationRules) {
  SetXsaveLeaf(0xe7);  // x87 SSE AVX AVX-512
  EXPECT_EQ(Xsetbv(vcpu_, 0, 0x7), ExitAction::kResumeNext);
  EXPECT_EQ(fake::Xcr0(), 0x7u);
  EXPECT_EQ(vcpu_.xcr0, 0x7u);
  EXPECT_EQ(Xsetbv(vcpu_, 0, 0xe7), ExitAction::kResumeNext);
  EXPECT_EQ(fake::Xcr0(), 0xe7u);
  const u64 refused[] = {0x0,
                         0x2,
                         0x5 /* AVX without SSE */,
                         0x27 /* part of AVX-512 */,
                         0xe3 /* AVX-512 without AVX */,
                         0x1f /* MPX: not supported */,
                         1ull << 40};
  for (u64 v : refused) {
    fake::Xcr0() = 0x3;
    EXPECT_EQ(Xsetbv(vcpu_, 0, v), ExitAction::kResumeSame) << std::hex << v;
    EXPECT_TRUE(vcpu_.pending.valid && vcpu_.pending.vector == kVectorGp) << std::hex << v;
    vcpu_.pending.valid = false;
    EXPECT_EQ(fake::Xcr0(), 0x3u) << "a refused value must never reach the CPU";
  }
  EXPECT_EQ(Xsetbv(vcpu_, 1, 0x3), ExitAction::kResumeSame) << "only XCR0 exists";
  vcpu_.pending.valid = false;
  vcpu_.set_reg(Reg::kCpl, 3);
  EXPECT_EQ(Xsetbv(vcpu_, 0, 0x3), ExitAction::kResumeSame) << "CPL 3";
}

TEST_F(IsolationTest, TimerTickResumesUntilTheBudgetIsSpent) {
  vcpu_.budget_deadline_tsc = 1000;
  fake::Tsc() = 999;
  EXPECT_EQ(DispatchExit(vcpu_, MakeExit(ExitReason::kTimerInterrupt)), ExitAction::kResumeSame);
  EXPECT_EQ(fake::Timer().acknowledged, 1u) << "the pending tick must be taken";
  fake::Tsc() = 1000;
  EXPECT_EQ(DispatchExit(vcpu_, MakeExit(ExitReason::kTimerInterrupt)), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kTimeout);
  EXPECT_STREQ(StopReasonName(vcpu_.stop.reason), "timeout");
}

TEST_F(IsolationTest, HltWithInterruptsEnabledWaitsForTheTimer) {
  vcpu_.budget_deadline_tsc = 100;
  fake::Timer().tsc_per_wait = 40;
  vcpu_.set_reg(Reg::kRflags, 0x202);
  EXPECT_EQ(HandleHlt(vcpu_, MakeExit(ExitReason::kHlt)), ExitAction::kResumeNext);
  EXPECT_EQ(HandleHlt(vcpu_, MakeExit(ExitReason::kHlt)), ExitAction::kResumeNext);
  EXPECT_EQ(fake::Timer().waits, 2u);
  EXPECT_EQ(HandleHlt(vcpu_, MakeExit(ExitReason::kHlt)), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kTimeout);
}

CrContext LongMode() {
  return CrContext{0x80010033, 0x3000, 0x620, (1 << 8) | (1 << 10) | (1 << 11), 0x3727ff};
}

TEST(CrPolicy, Cr0) {
  const CrContext c = LongMode();
  EXPECT_TRUE(Cr0WriteAllowed(c, 0x80010033));
  EXPECT_TRUE(Cr0WriteAllowed(c, 0x80010013)) << "clearing NE is legal";
  EXPECT_TRUE(Cr0WriteAllowed(c, 0xe0010033)) << "CD and NW together";
  EXPECT_FALSE(Cr0WriteAllowed(c, 0xa0010033)) << "NW without CD";
  EXPECT_FALSE(Cr0WriteAllowed(c, 0x00010033)) << "PG cleared in long mode";
  EXPECT_FALSE(Cr0WriteAllowed(c, 0x80010032)) << "PG without PE";
  EXPECT_FALSE(Cr0WriteAllowed(c, 0x180010033ull)) << "bits 63:32";
}

TEST(CrPolicy, Cr4) {
  const CrContext c = LongMode();
  EXPECT_TRUE(Cr4WriteAllowed(c, 0x620 | (1 << 18)));
  EXPECT_FALSE(Cr4WriteAllowed(c, 0x620 | (1 << 13))) << "VMXE: CPUID hides VMX";
  EXPECT_FALSE(Cr4WriteAllowed(c, 0x620 | (1 << 14))) << "SMXE: CPUID hides SMX";
  EXPECT_FALSE(Cr4WriteAllowed(c, 0x620 | (1 << 12))) << "LA57 changes in long mode";
  EXPECT_FALSE(Cr4WriteAllowed(c, 0x600)) << "PAE cleared in long mode";
  EXPECT_FALSE(Cr4WriteAllowed(c, 0x620 | (1 << 23))) << "a bit the CPU lacks";
}

TEST_F(IsolationTest, CrExitsGoThroughThePolicy) {
  vcpu_.set_reg(Reg::kCr0, 0x80010033);
  vcpu_.set_reg(Reg::kCr4, 0x620);
  vcpu_.BeginExit(kAllRegs);  // as after an exit: everything known, nothing dirty
  vcpu_.cr.cr4_supported = 0x3727ff;
  Exit e = MakeExit(ExitReason::kCrAccess);
  e.cr = {0, CrAccessType::kMovToCr, kRbx, 0};
  vcpu_.set_gpr(kRbx, 0x80010013);  // NE cleared
  EXPECT_EQ(DispatchExit(vcpu_, e), ExitAction::kResumeNext);
  EXPECT_TRUE(vcpu_.dirty(Reg::kCr0)) << "an allowed write goes to the backend";
  EXPECT_EQ(vcpu_.cr0(), 0x80010013u);
  vcpu_.set_reg(Reg::kCr0, 0x80010033);
  vcpu_.BeginExit(kAllRegs);
  vcpu_.set_gpr(kRbx, 0x00010033);  // PG cleared
  EXPECT_EQ(DispatchExit(vcpu_, e), ExitAction::kResumeSame);
  EXPECT_FALSE(vcpu_.dirty(Reg::kCr0)) << "a refused write changes nothing";
  EXPECT_EQ(vcpu_.cr0(), 0x80010033u);
  EXPECT_EQ(vcpu_.pending.vector, kVectorGp);
  vcpu_.pending.valid = false;
  e.cr = {8, CrAccessType::kMovToCr, kRcx, 0};
  vcpu_.set_gpr(kRcx, 0xf);
  EXPECT_EQ(DispatchExit(vcpu_, e), ExitAction::kResumeNext);
  e.cr = {8, CrAccessType::kMovFromCr, kRdx, 0};
  EXPECT_EQ(DispatchExit(vcpu_, e), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.gpr(kRdx), 0xfu);
  e.cr = {8, CrAccessType::kMovToCr, kRcx, 0};
  vcpu_.set_gpr(kRcx, 0x10);
  EXPECT_EQ(DispatchExit(vcpu_, e), ExitAction::kResumeSame);
}

TEST_F(IsolationTest, CpuidHidesFeaturesWhoseMsrsAreAbsentAndKeepsHandledOnes) {
  fake::CpuidTable()[{0, 0}] = {0xd, 0, 0, 0};
  fake::CpuidTable()[{1, 0}] = {0, 0, 0xffffffff, 0xffffffff};
  fake::CpuidTable()[{6, 0}] = {0xff, 0xff, 0xff, 0xff};
  fake::CpuidTable()[{7, 0}] = {0, 0xffffffff, 0xffffffff, 0xffffffff};
  fake::CpuidTable()[{0xd, 1}] = {0xf, 0, 0, 0};
  fake::CpuidTable()[{0x80000000, 0}] = {0x80000008, 0, 0, 0};
  fake::CpuidTable()[{0x80000001, 0}] = {0, 0, 0xffffffff, 0xffffffff};
  const auto l1 = GuestCpuid(1, 0, 0);
  for (int bit : {3, 5, 6, 7, 8, 15, 21}) EXPECT_EQ(l1.ecx & (1u << bit), 0u) << bit;
  for (int bit : {21, 22, 29}) EXPECT_EQ(l1.edx & (1u << bit), 0u) << bit;
  for (int bit : {7, 12, 14}) EXPECT_NE(l1.edx & (1u << bit), 0u) << "MCE/MTRR/MCA kept " << bit;
  EXPECT_EQ(GuestCpuid(6, 0, 0).ecx, 0u) << "APERF/MPERF";
  EXPECT_EQ(GuestCpuid(7, 0, 0).ebx & (1u << 1), 0u) << "TSC_ADJUST";
  EXPECT_NE(GuestCpuid(7, 0, 0).ebx & (1u << 10), 0u) << "INVPCID kept";
  EXPECT_EQ(GuestCpuid(0xd, 1, 0).eax & (1u << 3), 0u) << "XSAVES";
  EXPECT_NE(GuestCpuid(0xd, 1, 0).eax & 1u, 0u) << "XSAVEOPT kept";
  EXPECT_EQ(GuestCpuid(0x80000001, 0, 0).ecx & (1u << 23), 0u) << "PerfCtrExtCore";
}

TEST_F(IsolationTest, MsrsOfAdvertisedFeatures) {
  auto read = [&](u32 msr) {
    Exit e = MakeExit(ExitReason::kMsrRead);
    e.msr = msr;
    return DispatchExit(vcpu_, e);
  };
  auto write = [&](u32 msr, u64 v) {
    Exit e = MakeExit(ExitReason::kMsrWrite);
    e.msr = msr;
    vcpu_.set_gpr(kRax, v & 0xffffffff);
    vcpu_.set_gpr(kRdx, v >> 32);
    return DispatchExit(vcpu_, e);
  };
  for (u32 msr : {0xfeu, 0x179u, 0x17au}) {
    EXPECT_EQ(read(msr), ExitAction::kResumeNext) << std::hex << msr;
    EXPECT_EQ(vcpu_.gpr(kRax), 0u);
  }
  EXPECT_EQ(read(0x2ff), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.gpr(kRax), 0x806u);
  EXPECT_EQ(write(0x2ff, 0x800), ExitAction::kResumeNext);
  EXPECT_EQ(write(0x2ff, 0x802), ExitAction::kResumeSame) << "reserved memory type";
  EXPECT_EQ(write(0x2ff, 0xc06), ExitAction::kResumeSame) << "FE without fixed ranges";
  EXPECT_EQ(write(0x17a, 0), ExitAction::kResumeNext);
  EXPECT_EQ(write(0x17a, 1), ExitAction::kResumeSame);
}

TEST_F(IsolationTest, GeneralProtectionFromSvmInstructionsBecomesUd) {
  Exit e = MakeExit(ExitReason::kGeneralProtection);
  e.raw_info1 = 0x18;
  PlaceCode({0x0f, 0x01, 0xd8});  // VMRUN
  EXPECT_EQ(DispatchExit(vcpu_, e), ExitAction::kResumeSame);
  EXPECT_EQ(vcpu_.pending.vector, kVectorUd);
  EXPECT_FALSE(vcpu_.pending.has_error_code);
  PlaceCode({0x0f, 0x22, 0xc0});  // MOV CR0, RAX: an ordinary #GP keeps its error code
  EXPECT_EQ(DispatchExit(vcpu_, e), ExitAction::kResumeSame);
  EXPECT_EQ(vcpu_.pending.vector, kVectorGp);
  EXPECT_TRUE(vcpu_.pending.has_error_code);
  EXPECT_EQ(vcpu_.pending.error_code, 0x18u);
}

TEST(IsolationDecode, VmxCrAccessAndSvmIntercepts) {
  vmx::ExitInfo info;
  info.reason = vmx::exit_reason::kCrAccess;
  info.qualification = (0x1234ull << 16) | (3ull << 8) | (0ull << 4) | 4;  // MOV CR4, RBX
  info.instruction_length = 3;
  const Exit e = vmx::DecodeVmxExit(info);
  EXPECT_EQ(e.reason, ExitReason::kCrAccess);
  EXPECT_EQ(e.cr.cr, 4);
  EXPECT_EQ(e.cr.type, CrAccessType::kMovToCr);
  EXPECT_EQ(e.cr.gpr, kRbx);
  EXPECT_EQ(e.instruction_length, 3u);
  info.reason = vmx::exit_reason::kXsetbv;
  EXPECT_EQ(vmx::DecodeVmxExit(info).reason, ExitReason::kXsetbv);
  info.reason = vmx::exit_reason::kMonitor;
  EXPECT_EQ(vmx::DecodeVmxExit(info).reason, ExitReason::kVirtInstruction);

  svm::Vmcb vmcb{};
  for (u64 code : {svm::exit_code::kInvlpga, svm::exit_code::kMonitor, svm::exit_code::kMwait}) {
    vmcb.control.exit_code = code;
    EXPECT_EQ(svm::DecodeSvmExit(vmcb, false, 0).reason, ExitReason::kVirtInstruction) << code;
  }
  vmcb.control.exit_code = svm::exit_code::kIntr;
  vmcb.control.next_rip = 0x1234;
  const Exit tick = svm::DecodeSvmExit(vmcb, true, 0);
  EXPECT_EQ(tick.reason, ExitReason::kTimerInterrupt);
  EXPECT_FALSE(tick.length_valid);
  vmcb.control.exit_code = svm::exit_code::kXsetbv;
  EXPECT_EQ(svm::DecodeSvmExit(vmcb, false, 0).reason, ExitReason::kXsetbv);
  vmcb.control.exit_code = svm::exit_code::kGeneralProtection;
  vmcb.control.exit_info1 = 0x18;
  const Exit gp = svm::DecodeSvmExit(vmcb, true, 0);
  EXPECT_EQ(gp.reason, ExitReason::kGeneralProtection);
  EXPECT_EQ(gp.raw_info1, 0x18u);
  EXPECT_FALSE(gp.length_valid);
}

}  // namespace
}  // namespace pv
