// VMCS exit information -> exit model, with the values Bochs (corei7_skylake_x) was observed to
// produce (../shared/reference/emulators.md, section 4.2), and the VM-Fail mapping.
#include <gtest/gtest.h>

#include "vmx/vmx_exit.h"

namespace pv::vmx {
namespace {

ExitInfo Info(u32 reason, u64 qualification = 0, u32 length = 0, u64 gpa = 0) {
  ExitInfo info;
  info.reason = reason;
  info.qualification = qualification;
  info.instruction_length = length;
  info.guest_physical = gpa;
  info.guest_rcx = 0xc0000103;
  return info;
}

TEST(VmxExitDecode, InstructionExitsCarryTheLength) {
  const Exit cpuid = DecodeVmxExit(Info(exit_reason::kCpuid, 0, 2));
  EXPECT_EQ(cpuid.reason, ExitReason::kCpuid);
  EXPECT_TRUE(cpuid.length_valid);
  EXPECT_EQ(cpuid.instruction_length, 2u);
  const Exit vmcall = DecodeVmxExit(Info(exit_reason::kVmcall, 0, 3));
  EXPECT_EQ(vmcall.reason, ExitReason::kHypercall);
  EXPECT_EQ(vmcall.instruction_length, 3u);
  EXPECT_EQ(DecodeVmxExit(Info(exit_reason::kHlt, 0, 1)).reason, ExitReason::kHlt);
  EXPECT_EQ(DecodeVmxExit(Info(exit_reason::kInvd, 0, 2)).reason, ExitReason::kCacheInvalidate);
  // No length reported: the shared code falls back to decoding the instruction.
  EXPECT_FALSE(DecodeVmxExit(Info(exit_reason::kCpuid, 0, 0)).length_valid);
}

TEST(VmxExitDecode, IoQualificationsFromBochs) {
  // out 0x80, al / in al, 0x71 / out dx, al with DX = 0x3f8; then a 32-bit in.
  const Exit out = DecodeVmxExit(Info(exit_reason::kIo, 0x800040, 2));
  EXPECT_EQ(out.reason, ExitReason::kIo);
  EXPECT_EQ(out.io.port, 0x80);
  EXPECT_EQ(out.io.size, 1);
  EXPECT_FALSE(out.io.in);
  EXPECT_FALSE(out.io.string);
  EXPECT_TRUE(out.length_valid);
  const Exit in = DecodeVmxExit(Info(exit_reason::kIo, 0x710048, 2));
  EXPECT_EQ(in.io.port, 0x71);
  EXPECT_EQ(in.io.size, 1);
  EXPECT_EQ(DecodeVmxExit(Info(exit_reason::kIo, 0x710048 | 3, 2)).io.size, 4);
  EXPECT_TRUE(in.io.in);
  const Exit out_dx = DecodeVmxExit(Info(exit_reason::kIo, 0x3f80000, 1));
  EXPECT_EQ(out_dx.io.port, 0x3f8);
  EXPECT_EQ(out_dx.io.size, 1);
  const Exit rep_outs = DecodeVmxExit(Info(exit_reason::kIo, (0x3f8ull << 16) | 0x30, 2));
  EXPECT_TRUE(rep_outs.io.string);
  EXPECT_TRUE(rep_outs.io.rep);
}

TEST(VmxExitDecode, MsrDirectionAndIndex) {
  const Exit r = DecodeVmxExit(Info(exit_reason::kRdmsr, 0, 2));
  EXPECT_EQ(r.reason, ExitReason::kMsrRead);
  EXPECT_EQ(r.msr, 0xc0000103u);
  EXPECT_EQ(DecodeVmxExit(Info(exit_reason::kWrmsr, 0, 2)).reason, ExitReason::kMsrWrite);
}

TEST(VmxExitDecode, EptViolationFromBochs) {
  // Write to an unmapped page: qualification 0x181 was a read; 0x182 a write, no permissions.
  const Exit write = DecodeVmxExit(Info(exit_reason::kEptViolation, 0x182, 7, 0x1001000));
  EXPECT_EQ(write.reason, ExitReason::kNestedPageFault);
  EXPECT_EQ(write.npf.gpa, 0x1001000u);
  EXPECT_TRUE(write.npf.write);
  EXPECT_FALSE(write.npf.fetch);
  EXPECT_FALSE(write.npf.present);
  EXPECT_FALSE(write.length_valid);  // a fault: RIP stays
  const Exit fetch = DecodeVmxExit(Info(exit_reason::kEptViolation, 0x184 | 0x8, 0, 0x2000));
  EXPECT_TRUE(fetch.npf.fetch);
  EXPECT_TRUE(fetch.npf.present);
  EXPECT_TRUE(DecodeVmxExit(Info(exit_reason::kEptMisconfig, 0, 0, 0x3000)).npf.present);
}

TEST(VmxExitDecode, StopsAndVirtualisationInstructions) {
  EXPECT_EQ(DecodeVmxExit(Info(exit_reason::kTripleFault)).reason, ExitReason::kShutdown);
  for (u32 r = exit_reason::kVmclear; r <= exit_reason::kVmxon; ++r) {
    const Exit e = DecodeVmxExit(Info(r, 0, 3));
    EXPECT_EQ(e.reason, ExitReason::kVirtInstruction) << r;
    EXPECT_FALSE(e.length_valid) << r;  // #UD is injected at the instruction
  }
  EXPECT_EQ(DecodeVmxExit(Info(exit_reason::kInvept)).reason, ExitReason::kVirtInstruction);
  const Exit rdtsc = DecodeVmxExit(Info(exit_reason::kRdtsc, 0, 2));
  EXPECT_EQ(rdtsc.reason, ExitReason::kUnknown);
  EXPECT_EQ(rdtsc.raw_code, 16u);
  // The paravisor's timer tick: no instruction, so no next RIP.
  const Exit tick = DecodeVmxExit(Info(exit_reason::kExternalInterrupt, 0, 3));
  EXPECT_EQ(tick.reason, ExitReason::kTimerInterrupt);
  EXPECT_FALSE(tick.length_valid);
  // Interrupt-window exiting (a Linux guest's interrupt waits for IF): no instruction either.
  const Exit window = DecodeVmxExit(Info(exit_reason::kInterruptWindow, 0, 3));
  EXPECT_EQ(window.reason, ExitReason::kInterruptWindow);
  EXPECT_FALSE(window.length_valid);
}

TEST(VmxExitDecode, EntryFailures) {
  const Exit invalid =
      DecodeVmxExit(Info(exit_reason::kInvalidGuestState | exit_reason::kEntryFailureBit, 0));
  EXPECT_EQ(invalid.reason, ExitReason::kEntryFailure);
  EXPECT_EQ(invalid.raw_code, 0x80000021u);
  // Bit 31 decides even when the basic reason would otherwise be an ordinary exit.
  EXPECT_EQ(DecodeVmxExit(Info(exit_reason::kCpuid | exit_reason::kEntryFailureBit)).reason,
            ExitReason::kEntryFailure);
  EXPECT_EQ(DecodeVmxExit(Info(exit_reason::kMsrLoading | exit_reason::kEntryFailureBit)).reason,
            ExitReason::kEntryFailure);
}

TEST(VmxExitDecode, VmFailCarriesTheInstructionError) {
  const Exit valid = VmFailExit(1, 8);
  EXPECT_EQ(valid.reason, ExitReason::kEntryFailure);
  EXPECT_EQ(valid.raw_code, 8u);
  EXPECT_EQ(valid.raw_info1, 1u);
  EXPECT_EQ(VmFailExit(2, 0).raw_info1, 2u);
  EXPECT_STREQ(VmInstructionErrorName(8), "VM entry with invalid host-state field(s)");
  EXPECT_STREQ(VmInstructionErrorName(7), "VM entry with invalid control field(s)");
}

}  // namespace
}  // namespace pv::vmx
