// VMCB exit information -> exit model, with the values QEMU and Bochs were observed to produce
// (../shared/reference/emulators.md).
#include <gtest/gtest.h>

#include "svm/svm_vcpu.h"

namespace pv::svm {
namespace {

// The guest's RIP at every exit here; lengths are the next RIP minus this.
constexpr u64 kRip = 0x100040;

Exit DecodeWith(u64 code, u64 info1, u64 info2, bool nrip = false, u64 next_rip = 0) {
  static Vmcb vmcb;
  vmcb = {};
  vmcb.save.rip = kRip;
  vmcb.control.exit_code = code;
  vmcb.control.exit_info1 = info1;
  vmcb.control.exit_info2 = info2;
  vmcb.control.next_rip = next_rip;
  return DecodeSvmExit(vmcb, nrip, 0xc0000103);
}

TEST(SvmExitDecode, IoioFromQemuAndBochs) {
  // out 0x80, al: QEMU reports 0x800010, Bochs 0x800210 (address-size bits set).
  for (u64 info1 : {0x800010ull, 0x800210ull}) {
    Exit e = DecodeWith(exit_code::kIoio, info1, 0x100042);
    EXPECT_EQ(e.reason, ExitReason::kIo);
    EXPECT_EQ(e.io.port, 0x80);
    EXPECT_EQ(e.io.size, 1);
    EXPECT_FALSE(e.io.in);
    EXPECT_TRUE(e.length_valid);
    EXPECT_EQ(e.instruction_length, 2u);  // EXITINFO2 = next RIP
  }
  Exit in32 = DecodeWith(exit_code::kIoio, (0x71ull << 16) | (1 << 6) | 1, 0);
  EXPECT_TRUE(in32.io.in);
  EXPECT_EQ(in32.io.size, 4);
  Exit rep_outs =
      DecodeWith(exit_code::kIoio, (0x3f8ull << 16) | (1 << 4) | (1 << 3) | (1 << 2), 0);
  EXPECT_TRUE(rep_outs.io.string);
  EXPECT_TRUE(rep_outs.io.rep);
}

TEST(SvmExitDecode, MsrDirectionAndIndex) {
  EXPECT_EQ(DecodeWith(exit_code::kMsr, 0, 0).reason, ExitReason::kMsrRead);
  Exit w = DecodeWith(exit_code::kMsr, 1, 0);
  EXPECT_EQ(w.reason, ExitReason::kMsrWrite);
  EXPECT_EQ(w.msr, 0xc0000103u);
}

TEST(SvmExitDecode, NestedPageFault) {
  Exit e = DecodeWith(exit_code::kNpf, 0x100000006ull, 0x1001000);
  EXPECT_EQ(e.reason, ExitReason::kNestedPageFault);
  EXPECT_EQ(e.npf.gpa, 0x1001000u);
  EXPECT_TRUE(e.npf.write);
  EXPECT_FALSE(e.npf.present);
  EXPECT_FALSE(e.npf.fetch);
}

TEST(SvmExitDecode, InvalidInBothEncodings) {
  // QEMU writes VMEXIT_INVALID as 0x00000000ffffffff; the APM (and Bochs) as -1.
  EXPECT_EQ(DecodeWith(0xffffffffull, 0, 0).reason, ExitReason::kEntryFailure);
  EXPECT_EQ(DecodeWith(~0ull, 0, 0).reason, ExitReason::kEntryFailure);
}

TEST(SvmExitDecode, NripOnlyForInstructionIntercepts) {
  Exit cpuid = DecodeWith(exit_code::kCpuid, 0, 0, true, kRip + 2);
  EXPECT_TRUE(cpuid.length_valid);
  EXPECT_EQ(cpuid.instruction_length, 2u);
  EXPECT_FALSE(DecodeWith(exit_code::kCpuid, 0, 0, false, 0x100002).length_valid);
  EXPECT_FALSE(DecodeWith(exit_code::kShutdown, 0, 0, true, 0x100002).length_valid);
}

TEST(SvmExitDecode, OtherReasons) {
  EXPECT_EQ(DecodeWith(exit_code::kVmmcall, 0, 0).reason, ExitReason::kHypercall);
  EXPECT_EQ(DecodeWith(exit_code::kHlt, 0, 0).reason, ExitReason::kHlt);
  EXPECT_EQ(DecodeWith(exit_code::kInvd, 0, 0).reason, ExitReason::kCacheInvalidate);
  EXPECT_EQ(DecodeWith(exit_code::kVmrun, 0, 0).reason, ExitReason::kVirtInstruction);
  EXPECT_EQ(DecodeWith(exit_code::kShutdown, 0, 0).reason, ExitReason::kShutdown);
  EXPECT_EQ(DecodeWith(exit_code::kRdtsc, 0, 0).reason, ExitReason::kUnknown);
  const Exit window = DecodeWith(exit_code::kVintr, 0, 0);  // V_IRQ became deliverable
  EXPECT_EQ(window.reason, ExitReason::kInterruptWindow);
  EXPECT_FALSE(window.length_valid);
}

}  // namespace
}  // namespace pv::svm
