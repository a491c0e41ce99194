// Exit handlers, run unchanged on the host against a real guest memory image and fake CPU facts.
#include <gtest/gtest.h>

#include "exits/cpuid_policy.h"
#include "exits/handlers.h"
#include "exits/msr_policy.h"
#include "guest/abi.h"
#include "guest_fixture.h"

namespace pv {
namespace {

using HandlerTest = GuestFixture;

Exit IoExitFor(u16 port, u8 size, bool in) {
  Exit e = MakeExit(ExitReason::kIo);
  e.io = {port, size, in, false, false};
  return e;
}

TEST_F(HandlerTest, CpuidHidesVirtualisationAndAddsHypervisorLeaves) {
  fake::CpuidTable()[{0, 0}] = {0x16, 0x756e6547, 0x6c65746e, 0x49656e69};
  fake::CpuidTable()[{1, 0}] = {0x806f8, 0x01020800, 0xffffffff, 0xffffffff};
  fake::CpuidTable()[{0x80000000, 0}] = {0x80000021, 0, 0, 0};
  fake::CpuidTable()[{0x80000001, 0}] = {0, 0, 0xffffffff, 0xffffffff};
  fake::CpuidTable()[{0x8000000a, 0}] = {1, 16, 0, 0xff};

  vcpu_.set_gpr(kRax, 0);
  EXPECT_EQ(DispatchExit(vcpu_, MakeExit(ExitReason::kCpuid)), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.gpr(kRax), 0xdu);  // capped max basic leaf
  EXPECT_EQ(vcpu_.gpr(kRbx), 0x756e6547u);

  vcpu_.set_gpr(kRax, 1);
  HandleCpuid(vcpu_, MakeExit(ExitReason::kCpuid));
  EXPECT_EQ(vcpu_.gpr(kRcx) & (1u << 5), 0u) << "VMX must be hidden";
  EXPECT_NE(vcpu_.gpr(kRcx) & (1u << 31), 0u) << "hypervisor bit must be set";
  EXPECT_EQ(vcpu_.gpr(kRcx) & (1u << 27), 0u) << "OSXSAVE follows the guest's CR4 (clear)";
  EXPECT_EQ(vcpu_.gpr(kRbx) >> 24, 0u) << "initial APIC ID of the only vCPU";

  vcpu_.set_gpr(kRax, 0x80000001);
  HandleCpuid(vcpu_, MakeExit(ExitReason::kCpuid));
  EXPECT_EQ(vcpu_.gpr(kRcx) & (1u << 2), 0u) << "SVM must be hidden";
  vcpu_.set_gpr(kRax, 0x8000000a);
  HandleCpuid(vcpu_, MakeExit(ExitReason::kCpuid));
  EXPECT_EQ(vcpu_.gpr(kRdx), 0u);

  vcpu_.set_gpr(kRax, 0x40000000);
  HandleCpuid(vcpu_, MakeExit(ExitReason::kCpuid));
  char sig[13] = {};
  u32 regs[3] = {static_cast<u32>(vcpu_.gpr(kRbx)), static_cast<u32>(vcpu_.gpr(kRcx)),
                 static_cast<u32>(vcpu_.gpr(kRdx))};
  std::memcpy(sig, regs, 12);
  EXPECT_STREQ(sig, "PvParavisor!");

  vcpu_.set_gpr(kRax, 0x20);  // beyond the guest's max basic leaf
  HandleCpuid(vcpu_, MakeExit(ExitReason::kCpuid));
  EXPECT_EQ(vcpu_.gpr(kRax) | vcpu_.gpr(kRbx) | vcpu_.gpr(kRcx) | vcpu_.gpr(kRdx), 0u);
}

TEST_F(HandlerTest, ConsolePortsGoToTheLogLineByLine) {
  for (char c : std::string("hi\x1b\n")) {
    vcpu_.set_gpr(kRax, static_cast<u8>(c));
    EXPECT_EQ(HandleIo(vcpu_, IoExitFor(0x3f8, 1, false)), ExitAction::kResumeNext);
  }
  EXPECT_EQ(fake::LogText(), "[guest] hi.\n");  // the escape byte is neutralised
  vcpu_.set_gpr(kRax, 0);
  HandleIo(vcpu_, IoExitFor(0x3fd, 1, true));
  EXPECT_EQ(vcpu_.gpr(kRax), 0x60u);
}

// What Linux's 8250 autoconfig does to find a UART and tell it is a 16550A.
TEST_F(HandlerTest, Com1PassesThe8250Probe) {
  auto out = [&](u16 port, u8 v) {
    vcpu_.set_gpr(kRax, v);
    HandleIo(vcpu_, IoExitFor(port, 1, false));
  };
  auto in = [&](u16 port) {
    vcpu_.set_gpr(kRax, 0xff);
    HandleIo(vcpu_, IoExitFor(port, 1, true));
    return static_cast<u8>(vcpu_.gpr(kRax));
  };
  EXPECT_EQ(in(0x3fa), 0x01) << "IIR: no interrupt pending";
  out(0x3f9, 0);
  EXPECT_EQ(in(0x3f9) & 0x0f, 0);
  out(0x3f9, 0x0f);
  EXPECT_EQ(in(0x3f9) & 0x0f, 0x0f) << "IER holds its value";
  out(0x3ff, 0xa5);
  EXPECT_EQ(in(0x3ff), 0xa5) << "scratch register";
  out(0x3fc, 0x1a);  // loopback, OUT2, RTS
  EXPECT_EQ(in(0x3fe) & 0xf0, 0x90) << "loopback mirrors MCR into MSR";
  out(0x3fc, 0);
  out(0x3fa, 0x01);  // FCR: enable FIFOs
  EXPECT_EQ(in(0x3fa) & 0xc0, 0xc0) << "16550A FIFOs reported";
  out(0x3fb, 0x83);  // DLAB
  out(0x3f8, 0x01);
  out(0x3f9, 0x00);
  EXPECT_EQ(in(0x3f8), 0x01) << "divisor latch low";
  EXPECT_EQ(fake::LogText(), "") << "divisor writes are not console output";
  out(0x3fb, 0x03);
  EXPECT_EQ(in(0x3fb), 0x03);
  EXPECT_EQ(in(0x3fd), 0x60) << "LSR: transmitter empty";
}

TEST_F(HandlerTest, RefusedPortsReadAllOnesAndKeepUpperBits) {
  vcpu_.set_gpr(kRax, 0x1122334455667788);
  HandleIo(vcpu_, IoExitFor(0x80, 1, true));
  EXPECT_EQ(vcpu_.gpr(kRax), 0x11223344556677ffu);
  HandleIo(vcpu_, IoExitFor(0x80, 2, true));
  EXPECT_EQ(vcpu_.gpr(kRax), 0x112233445566ffffu);
  HandleIo(vcpu_, IoExitFor(0x80, 4, true));
  EXPECT_EQ(vcpu_.gpr(kRax), 0xffffffffu);  // 32-bit results zero-extend
  EXPECT_EQ(vcpu_.stats.refused_io, 3u);
  EXPECT_NE(fake::LogText().find("port 0x80"), std::string::npos);
}

TEST_F(HandlerTest, RefusalReportsAreRateLimited) {
  for (int i = 0; i < 100; ++i) HandleIo(vcpu_, IoExitFor(0x70, 1, false));
  size_t lines = 0;
  for (char c : fake::LogText()) lines += c == '\n';
  EXPECT_EQ(lines, 8u);
}

TEST_F(HandlerTest, StringIoInjectsGp) {
  Exit e = IoExitFor(0x3f8, 1, false);
  e.io.string = true;
  EXPECT_EQ(HandleIo(vcpu_, e), ExitAction::kResumeSame);
  EXPECT_TRUE(vcpu_.pending.valid);
  EXPECT_EQ(vcpu_.pending.vector, kVectorGp);
}

TEST_F(HandlerTest, MsrAllowListAndGp) {
  Exit rd = MakeExit(ExitReason::kMsrRead);
  rd.msr = 0x277;
  EXPECT_EQ(HandleMsrRead(vcpu_, rd), ExitAction::kResumeNext);
  EXPECT_EQ((vcpu_.gpr(kRdx) << 32) | vcpu_.gpr(kRax), 0x0007040600070406u);

  rd.msr = 0xdead0000;
  EXPECT_EQ(HandleMsrRead(vcpu_, rd), ExitAction::kResumeSame);
  EXPECT_EQ(vcpu_.pending.vector, kVectorGp);
  EXPECT_TRUE(vcpu_.pending.has_error_code);

  rd.msr = 0xc0000080;  // EFER: SVME is the paravisor's and never visible
  HandleMsrRead(vcpu_, rd);
  EXPECT_EQ(vcpu_.gpr(kRax) & (1u << 12), 0u);
  EXPECT_NE(vcpu_.gpr(kRax) & (1u << 10), 0u);
}

TEST_F(HandlerTest, MsrWritesAreValidated) {
  Exit wr = MakeExit(ExitReason::kMsrWrite);
  wr.msr = 0x277;
  vcpu_.set_gpr(kRax, 0x00070102);  // type 2 is reserved
  vcpu_.set_gpr(kRdx, 0);
  EXPECT_EQ(HandleMsrWrite(vcpu_, wr), ExitAction::kResumeSame);
  vcpu_.pending = {};
  vcpu_.set_gpr(kRax, 0x00070106);
  EXPECT_EQ(HandleMsrWrite(vcpu_, wr), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.pat(), 0x00070106u);

  wr.msr = 0xc0000080;
  const u64 efer = vcpu_.efer();
  vcpu_.set_gpr(kRax, (efer & ~(1ull << 12)) & ~(1ull << 8));  // try to clear LME
  EXPECT_EQ(HandleMsrWrite(vcpu_, wr), ExitAction::kResumeSame);
  vcpu_.set_gpr(kRax, (efer & ~(1ull << 12)) | 1);  // set SCE: allowed
  vcpu_.pending = {};
  EXPECT_EQ(HandleMsrWrite(vcpu_, wr), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.efer(), efer | 1);

  wr.msr = kSpecCtrlMsr;
  vcpu_.set_gpr(kRax, 0x2222);
  EXPECT_EQ(HandleMsrWrite(vcpu_, wr), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.run.guest_spec_ctrl, 0x2222u);
  vcpu_.set_gpr(kRdx, 1);  // reserved upper half
  EXPECT_EQ(HandleMsrWrite(vcpu_, wr), ExitAction::kResumeSame);
}

TEST_F(HandlerTest, HypercallsFollowTheAbi) {
  Exit hc = MakeExit(ExitReason::kHypercall);
  vcpu_.set_gpr(kRax, abi::kHcGetAbiVersion);
  EXPECT_EQ(HandleHypercall(vcpu_, hc), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.gpr(kRax), abi::kAbiVersion);

  std::memcpy(ram_.data() + 0x200000, "from guest", 10);
  vcpu_.set_gpr(kRax, abi::kHcPrint);
  vcpu_.set_gpr(kRdi, 0x200000);
  vcpu_.set_gpr(kRsi, 10);
  HandleHypercall(vcpu_, hc);
  EXPECT_EQ(vcpu_.gpr(kRax), 0u);
  EXPECT_EQ(fake::LogText(), "[guest] from guest\n");

  vcpu_.set_gpr(kRax, abi::kHcPrint);
  vcpu_.set_gpr(kRsi, abi::kPrintMax + 1);
  HandleHypercall(vcpu_, hc);
  EXPECT_EQ(static_cast<i64>(vcpu_.gpr(kRax)), abi::kHcErrInval);

  vcpu_.set_gpr(kRax, abi::kHcPrint);
  vcpu_.set_gpr(kRdi, kRam - 4);  // runs off the end of guest RAM
  vcpu_.set_gpr(kRsi, 16);
  HandleHypercall(vcpu_, hc);
  EXPECT_EQ(static_cast<i64>(vcpu_.gpr(kRax)), abi::kHcErrFault);

  vcpu_.set_gpr(kRax, 999);
  HandleHypercall(vcpu_, hc);
  EXPECT_EQ(static_cast<i64>(vcpu_.gpr(kRax)), abi::kHcErrNoSys);

  vcpu_.set_gpr(kRax, abi::kHcTestBase + 1);  // production hooks: no test hypercalls
  HandleHypercall(vcpu_, hc);
  EXPECT_EQ(static_cast<i64>(vcpu_.gpr(kRax)), abi::kHcErrNoSys);

  vcpu_.set_gpr(kRax, abi::kHcExit);
  vcpu_.set_gpr(kRdi, 7);
  EXPECT_EQ(HandleHypercall(vcpu_, hc), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kExited);
  EXPECT_EQ(vcpu_.stop.code, 7u);
}

// GET_EVIDENCE (ABI v2): REPORT_DATA read through the guest page walker, evidence written back
// only when all of it fits and is mapped, errors as documented.
TEST_F(HandlerTest, GetEvidenceCopiesReportDataInAndEvidenceOut) {
  Exit hc = MakeExit(ExitReason::kHypercall);
  for (int i = 0; i < 64; ++i) ram_[0x300000 + i] = static_cast<u8>(i * 3);
  fake::Evidence().evidence.assign(1184, 0x5a);
  auto call = [&](u64 out, u64 len, u64 data) {
    vcpu_.set_gpr(kRax, abi::kHcGetEvidence);
    vcpu_.set_gpr(kRdi, out);
    vcpu_.set_gpr(kRsi, len);
    vcpu_.set_gpr(kRdx, data);
    EXPECT_EQ(HandleHypercall(vcpu_, hc), ExitAction::kResumeNext);
    return static_cast<i64>(vcpu_.gpr(kRax));
  };
  EXPECT_EQ(call(0x400000, 4096, 0x300000), 1184);
  EXPECT_EQ(ram_[0x400000], 0x5a);
  EXPECT_EQ(ram_[0x400000 + 1183], 0x5a);
  EXPECT_EQ(ram_[0x400000 + 1184], 0);
  ASSERT_EQ(fake::Evidence().last_report_data.size(), 64u);
  EXPECT_EQ(fake::Evidence().last_report_data[63], static_cast<u8>(63 * 3));

  EXPECT_EQ(call(0x500000, 1000, 0x300000), abi::kHcErrTooBig);
  EXPECT_EQ(ram_[0x500000], 0);
  EXPECT_EQ(call(0x400000, 4096, kRam - 8), abi::kHcErrFault);  // REPORT_DATA off the end
  const u32 calls = fake::Evidence().calls;
  EXPECT_EQ(call(kRam - 512, 4096, 0x300000), abi::kHcErrFault);  // output runs off the end
  EXPECT_EQ(fake::Evidence().calls, calls + 1);
  EXPECT_EQ(ram_[kRam - 512], 0);  // nothing half-written

  fake::Evidence().status = Status(Err::kUnsupported, "no secrets page");
  EXPECT_EQ(call(0x400000, 4096, 0x300000), abi::kHcErrNotSupported);
  fake::Evidence().status = Status(Err::kInvalidArgument, "tag");
  EXPECT_EQ(call(0x400000, 4096, 0x300000), abi::kHcErrIo);
}

TEST_F(HandlerTest, HypercallFromUserModeIsUd) {
  vcpu_.set_reg(Reg::kCpl, 3);
  vcpu_.set_gpr(kRax, abi::kHcExit);
  EXPECT_EQ(HandleHypercall(vcpu_, MakeExit(ExitReason::kHypercall)), ExitAction::kResumeSame);
  EXPECT_EQ(vcpu_.pending.vector, kVectorUd);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kNone);
}

TEST_F(HandlerTest, InvdCompletesAsNoOp) {
  PlaceCode({0x0f, 0x08});
  Exit e = MakeExit(ExitReason::kCacheInvalidate);
  EXPECT_EQ(ProcessExit(vcpu_, e), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.rip(), abi::kImageBase + 2);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kNone);
}

TEST_F(HandlerTest, HltDependsOnInterruptFlag) {
  vcpu_.set_reg(Reg::kRflags, 0x202);
  EXPECT_EQ(HandleHlt(vcpu_, MakeExit(ExitReason::kHlt)), ExitAction::kResumeNext);
  vcpu_.set_reg(Reg::kRflags, 0x2);
  EXPECT_EQ(HandleHlt(vcpu_, MakeExit(ExitReason::kHlt)), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kHalted);
}

TEST_F(HandlerTest, StopsAreReportedNotFatal) {
  Exit npf = MakeExit(ExitReason::kNestedPageFault);
  npf.npf = {kRam + 0x1000, true, false, false};
  EXPECT_EQ(DispatchExit(vcpu_, npf), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kNptViolation);
  EXPECT_EQ(vcpu_.stop.detail, kRam + 0x1000);
  EXPECT_NE(fake::LogText().find("write at GPA 0x1001000"), std::string::npos);

  Exit unknown = MakeExit(ExitReason::kUnknown);
  unknown.raw_code = 0x6e;
  EXPECT_EQ(DispatchExit(vcpu_, unknown), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kUnknownExit);
  EXPECT_EQ(vcpu_.stop.code, 0x6eu);

  EXPECT_EQ(DispatchExit(vcpu_, MakeExit(ExitReason::kShutdown)), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kShutdown);
  EXPECT_EQ(DispatchExit(vcpu_, MakeExit(ExitReason::kEntryFailure)), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kEntryFailure);
  EXPECT_EQ(DispatchExit(vcpu_, MakeExit(ExitReason::kVirtInstruction)), ExitAction::kResumeSame);
  EXPECT_EQ(vcpu_.pending.vector, kVectorUd);
  EXPECT_EQ(vcpu_.stats.Total(), 5u);
}

TEST_F(HandlerTest, InstructionLengthFromDecodeOrHardware) {
  PlaceCode({0x2e, 0x0f, 0xa2});
  auto len = ExitingInstructionLength(vcpu_, MakeExit(ExitReason::kCpuid));
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len.value(), 3u);
  // The bytes at RIP must be the instruction the exit claims.
  EXPECT_FALSE(ExitingInstructionLength(vcpu_, MakeExit(ExitReason::kHlt)).ok());
  Exit with_nrip = MakeExit(ExitReason::kHlt);
  with_nrip.instruction_length = 1;
  with_nrip.length_valid = true;
  EXPECT_EQ(ExitingInstructionLength(vcpu_, with_nrip).value(), 1u);
  with_nrip.instruction_length = ~0ull;  // nonsense from hardware (next RIP before RIP): refused
  EXPECT_FALSE(ExitingInstructionLength(vcpu_, with_nrip).ok());
  with_nrip.instruction_length = 0;
  EXPECT_FALSE(ExitingInstructionLength(vcpu_, with_nrip).ok());
}

TEST_F(HandlerTest, InstructionAtEndOfMappedMemory) {
  // A 1-byte HLT in the last byte of guest RAM: fewer than 15 bytes are readable.
  vcpu_.set_rip(kRam - 1);
  ram_[kRam - 1] = 0xf4;
  auto len = ExitingInstructionLength(vcpu_, MakeExit(ExitReason::kHlt));
  ASSERT_TRUE(len.ok()) << len.status().message();
  EXPECT_EQ(len.value(), 1u);
}

}  // namespace
}  // namespace pv
