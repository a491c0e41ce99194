// GHCI / TDCALL end to end on the host: exits of a TDX-mode guest through
// ProcessEncryptedStateExit as the backends send them (TDCALL = a #UD exit with 66 0F 01 CC at
// RIP), against real guest memory limited to the guest's shared pages.
#include <gtest/gtest.h>

#include <openssl/sha.h>

#include <cstring>

#include "exits/encrypted_exit.h"
#include "fake_host.h"
#include "ghci/tdcall.h"
#include "guest/abi.h"
#include "guest_fixture.h"

namespace pv {
namespace {

using namespace ghci;  // NOLINT(google-build-using-namespace): the ABI's many constants

constexpr u64 kExpose = 0xfc00;  // R10..R15

class GhciTest : public GuestFixture {
 protected:
  void SetUp() override {
    GuestFixture::SetUp();
    vcpu_.tee.mode = TeeMode::kTdx;
    vcpu_.memory.LimitToShared(&vcpu_.tee.shared);
    entry_rip_ = vcpu_.rip();
    PlaceCode({0x66, 0x0f, 0x01, 0xcc});
  }
  // One TDCALL (an SVM #UD intercept) from the entry RIP; RIP is put back afterwards.
  ExitAction Tdcall() {
    vcpu_.set_rip(entry_rip_);
    Exit e = MakeExit(ExitReason::kUnknown);
    e.raw_code = 0x46;
    const ExitAction a = ProcessEncryptedStateExit(vcpu_, e);
    if (a == ExitAction::kResumeNext) {
      EXPECT_EQ(vcpu_.rip(), entry_rip_ + 4);
    }
    vcpu_.set_rip(entry_rip_);
    return a;
  }
  ExitAction Vmcall(u64 sub, u64 r12 = 0, u64 r13 = 0, u64 r14 = 0, u64 r15 = 0) {
    vcpu_.set_gpr(kRax, leaf::kVpVmcall);
    vcpu_.set_gpr(kRcx, kExpose);
    vcpu_.set_gpr(kR10, 0);
    vcpu_.set_gpr(kR11, sub);
    vcpu_.set_gpr(kR12, r12);
    vcpu_.set_gpr(kR13, r13);
    vcpu_.set_gpr(kR14, r14);
    vcpu_.set_gpr(kR15, r15);
    return Tdcall();
  }
  u64 entry_rip_ = 0;
};

TEST_F(GhciTest, DecodeFollowsTheExposureRules) {
  TdcallRegisters regs;
  regs.gpr[kRcx] = kExpose;
  regs.gpr[kR11] = vmcall::kCpuid;
  regs.gpr[kR12] = 7;
  TdcallRequest r = DecodeTdcall(regs);
  EXPECT_EQ(r.kind, TdcallKind::kVmcall);
  EXPECT_EQ(r.subfunction, vmcall::kCpuid);
  EXPECT_EQ(r.args[0], 7u);
  regs.gpr[kRcx] = 0x0800;  // only R11: R12 is not seen
  r = DecodeTdcall(regs);
  EXPECT_EQ(r.args[0], 0u);
  for (u64 bad : {1ull, 2ull, 0x10ull, 0x10000ull}) {
    regs.gpr[kRcx] = kExpose | bad;
    EXPECT_EQ(DecodeTdcall(regs).kind, TdcallKind::kBadExposure) << bad;
  }
  regs.gpr[kRax] = 99;
  EXPECT_EQ(DecodeTdcall(regs).kind, TdcallKind::kUnknownLeaf);
}

TEST_F(GhciTest, VmcallCpuidIoAndMsrReachTheOrdinaryHandlers) {
  vcpu_.set_gpr(kRbx, 0x5ec7e7);
  ASSERT_EQ(Vmcall(vmcall::kCpuid, 0x40000000, 0), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.gpr(kRax), status::kSuccess);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kSuccess);
  EXPECT_EQ(vcpu_.gpr(kR13), 0x61507650u) << "EBX in R13";
  EXPECT_EQ(vcpu_.gpr(kRbx), 0x5ec7e7u) << "unexposed registers untouched";
  EXPECT_EQ(vcpu_.stats.by_reason[static_cast<usize>(ExitReason::kCpuid)], 1u);

  Vmcall(vmcall::kIo, 1, 1, 0x3f8, 'Z');
  Vmcall(vmcall::kIo, 1, 1, 0x3f8, '\n');
  EXPECT_NE(fake::LogText().find("[guest] Z"), std::string::npos);
  Vmcall(vmcall::kIo, 2, 0, 0x80);
  EXPECT_EQ(vcpu_.gpr(kR11), 0xffffu);
  Vmcall(vmcall::kIo, 3, 0, 0x80);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand) << "size 3";

  Vmcall(vmcall::kRdmsr, 0x277);
  EXPECT_EQ(vcpu_.gpr(kR11), vcpu_.pat());
  Vmcall(vmcall::kWrmsr, 0x277, 0x0007040600070106);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kSuccess);
  EXPECT_EQ(vcpu_.pat(), 0x0007040600070106u);
  Vmcall(vmcall::kRdmsr, 0xdead0000);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand);
  EXPECT_FALSE(vcpu_.pending.valid);
}

TEST_F(GhciTest, MapGpaGetQuoteAndTheOtherSubfunctions) {
  constexpr u64 kBuf = 0x800000;
  Vmcall(vmcall::kMapGpa, (kBuf + 8) | kSharedBit, 4096);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kAlignError);
  Vmcall(vmcall::kMapGpa, 0x40000000 | kSharedBit, 4096);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand);
  Vmcall(vmcall::kMapGpa, kBuf | kSharedBit, 8192);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kSuccess);
  EXPECT_TRUE(vcpu_.tee.shared.ContainsRange(kBuf, 8192));
  u64 header[3] = {1, 0, 1024};
  std::memcpy(ram_.data() + kBuf, header, sizeof(header));
  Vmcall(vmcall::kGetQuote, kBuf | kSharedBit, 4096);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kSuccess);
  u64 quote_status = 0;
  std::memcpy(&quote_status, ram_.data() + kBuf + 8, 8);
  EXPECT_EQ(quote_status, kQuoteStatusServiceUnavailable);
  header[0] = 2;
  std::memcpy(ram_.data() + kBuf, header, sizeof(header));
  Vmcall(vmcall::kGetQuote, kBuf | kSharedBit, 4096);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand) << "version 2";
  Vmcall(vmcall::kMapGpa, kBuf + 4096, 4096);  // back to private
  Vmcall(vmcall::kGetQuote, kBuf | kSharedBit, 8192);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand) << "half private";

  Vmcall(vmcall::kGetTdVmCallInfo, 0);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kSuccess);
  EXPECT_EQ(vcpu_.gpr(kR11) | vcpu_.gpr(kR12) | vcpu_.gpr(kR13) | vcpu_.gpr(kR14), 0u);
  Vmcall(vmcall::kSetupEventNotifyInterrupt, 0x40);
  EXPECT_EQ(vcpu_.tee.notify_vector, 0x40);
  Vmcall(vmcall::kSetupEventNotifyInterrupt, 3);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand);
  Vmcall(vmcall::kMmio, 4, 0, 0xfed00000 | kSharedBit);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand) << "no agent";
  Vmcall(vmcall::kHlt, 0);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand) << "HLT is an ordinary exit here";
  Vmcall(0x7777);
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand);
  // The paravisor's ABI as a vendor call (R10 = 1); other vendor calls are refused.
  vcpu_.set_gpr(kRax, 0);
  vcpu_.set_gpr(kRcx, kExpose);
  vcpu_.set_gpr(kR10, kVendorParavisorAbi);
  vcpu_.set_gpr(kR11, abi::kHcGetAbiVersion);
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kR11), abi::kAbiVersion);
  vcpu_.set_gpr(kR10, 7);
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kR10), vmcall_status::kInvalidOperand);
  EXPECT_EQ(Vmcall(vmcall::kReportFatalError, 0x77), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kTerminated);
  EXPECT_EQ(vcpu_.stop.code, 0x77u);
}

TEST_F(GhciTest, ModuleLeavesInfoVeinfoRtmrReport) {
  vcpu_.set_gpr(kRax, leaf::kVpInfo);
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kRax), status::kSuccess);
  EXPECT_EQ(vcpu_.gpr(kRcx), 48u);
  EXPECT_EQ(vcpu_.gpr(kR8), (1ull << 32) | 1);

  vcpu_.set_gpr(kRax, leaf::kVpVeinfoGet);
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kRax), status::kNoValidVeInfo);

  // RTMR3 extended twice with private data the module may read; compared with OpenSSL.
  u8 data[48];
  for (int i = 0; i < 48; ++i) data[i] = static_cast<u8>(0xa0 + i);
  std::memcpy(ram_.data() + 0x900000, data, 48);
  u8 expect[48] = {};
  for (int round = 0; round < 2; ++round) {
    vcpu_.set_gpr(kRax, leaf::kMrRtmrExtend);
    vcpu_.set_gpr(kRcx, 0x900000);
    vcpu_.set_gpr(kRdx, 3);
    Tdcall();
    EXPECT_EQ(vcpu_.gpr(kRax), status::kSuccess);
    u8 in[96];
    std::memcpy(in, expect, 48);
    std::memcpy(in + 48, data, 48);
    SHA384(in, sizeof(in), expect);
  }
  EXPECT_EQ(std::memcmp(vcpu_.tee.rtmr[3], expect, 48), 0);
  vcpu_.set_gpr(kRax, leaf::kMrRtmrExtend);
  vcpu_.set_gpr(kRcx, 0x900010);  // not 64-byte aligned
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kRax), status::kOperandInvalid);
  vcpu_.set_gpr(kRax, leaf::kMrReport);
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kRax), status::kOperandInvalid);
  vcpu_.set_gpr(kRax, 99);
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kRax), status::kOperandInvalid);
}

// With the TD's module behind the attestation seam (a tee=tdx partition): RTMR extensions reach
// the module first and the paravisor's copy follows it; TDG.MR.REPORT writes the module's
// TDREPORT with the guest's REPORTDATA into the guest's buffer, after the checks the module makes
// (alignment, private RAM, subtype 0), and writes nothing when a check or the module fails.
TEST_F(GhciTest, MrReportAndRtmrExtendReachTheTdsModule) {
  fake::TdxModule().available = true;
  constexpr u64 kData = 0x900000, kReportData = 0x900040, kReport = 0xa00000;
  u8 data[48];
  for (int i = 0; i < 48; ++i) data[i] = static_cast<u8>(0x10 + i);
  std::memcpy(ram_.data() + kData, data, 48);
  fake::TdxModule().rtmr[1][0] = 0x55;  // the module's value, which the copy must follow
  vcpu_.set_gpr(kRax, leaf::kMrRtmrExtend);
  vcpu_.set_gpr(kRcx, kData);
  vcpu_.set_gpr(kRdx, 1);
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kRax), status::kSuccess);
  EXPECT_EQ(fake::TdxModule().extends, 1u);
  EXPECT_EQ(std::memcmp(vcpu_.tee.rtmr[1], fake::TdxModule().rtmr[1], 48), 0);
  u8 in[96] = {0x55};
  std::memcpy(in + 48, data, 48);
  u8 expect[48];
  SHA384(in, sizeof(in), expect);
  EXPECT_EQ(std::memcmp(vcpu_.tee.rtmr[1], expect, 48), 0);

  u8 report_data[64];
  for (int i = 0; i < 64; ++i) report_data[i] = static_cast<u8>(0xc0 + i);
  std::memcpy(ram_.data() + kReportData, report_data, 64);
  auto report = [&](u64 out, u64 rd, u64 subtype) {
    vcpu_.set_gpr(kRax, leaf::kMrReport);
    vcpu_.set_gpr(kRcx, out);
    vcpu_.set_gpr(kRdx, rd);
    vcpu_.set_gpr(kR8, subtype);
    Tdcall();
    return vcpu_.gpr(kRax);
  };
  EXPECT_EQ(report(kReport + 512, kReportData, 0), status::kOperandInvalid) << "TDREPORT align";
  EXPECT_EQ(report(kReport, kReportData + 8, 0), status::kOperandInvalid) << "REPORTDATA align";
  EXPECT_EQ(report(kReport, kReportData, 1), status::kOperandInvalid) << "subtype";
  EXPECT_EQ(report(kRam, kReportData, 0), status::kOperandInvalid) << "outside RAM";
  EXPECT_EQ(report(kRam - 512, kReportData, 0), status::kOperandInvalid) << "runs past RAM";
  EXPECT_EQ(report(kReport | kSharedBit, kReportData, 0), status::kOperandInvalid) << "shared bit";
  vcpu_.tee.shared.Share(kReport / kPageSize);
  EXPECT_EQ(report(kReport, kReportData, 0), status::kOperandInvalid) << "shared page";
  vcpu_.tee.shared.MakePrivate(kReport / kPageSize);
  fake::TdxModule().status = Status(Err::kHardware, "module refused");
  EXPECT_EQ(report(kReport, kReportData, 0), status::kOperandInvalid) << "module failed";
  EXPECT_EQ(ram_[kReport], 0) << "nothing written before success";
  fake::TdxModule().status = Status::Ok();
  EXPECT_EQ(report(kReport, kReportData, 0), status::kSuccess);
  EXPECT_EQ(ram_[kReport], 0x81);
  EXPECT_EQ(std::memcmp(ram_.data() + kReport + 128, report_data, 64), 0);
  EXPECT_EQ(vcpu_.tee.td_reports, 1u);
  fake::TdxModule().available = false;
  EXPECT_EQ(report(kReport, kReportData, 0), status::kOperandInvalid) << "no module";
}

TEST(GhciQuoteHeader, HostileHeadersAreRefusedByField) {
  u8 buf[64] = {};
  u64 version = 1;
  std::memcpy(buf, &version, 8);
  u32 in_len = 40;
  std::memcpy(buf + 16, &in_len, 4);
  const Result<QuoteHeader> ok = ParseQuoteHeader(buf, sizeof(buf));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value().in_len, 40u);
  EXPECT_FALSE(ParseQuoteHeader(buf, 23).ok());
  in_len = 41;  // one byte past the 64-byte buffer
  std::memcpy(buf + 16, &in_len, 4);
  const Result<QuoteHeader> past = ParseQuoteHeader(buf, sizeof(buf));
  ASSERT_FALSE(past.ok());
  EXPECT_NE(std::string(past.status().message()).find("in_len"), std::string::npos);
  in_len = 0xffffffff;
  std::memcpy(buf + 16, &in_len, 4);
  EXPECT_FALSE(ParseQuoteHeader(buf, sizeof(buf)).ok());
  in_len = 0;
  std::memcpy(buf + 16, &in_len, 4);
  version = 2;
  std::memcpy(buf, &version, 8);
  EXPECT_FALSE(ParseQuoteHeader(buf, sizeof(buf)).ok());
}

TEST_F(GhciTest, InterceptsBecomeVeWithTheirInformation) {
  Exit io = MakeExit(ExitReason::kIo);
  io.io = {0x3f8, 1, false, false, false};
  io.instruction_length = 1;
  io.length_valid = true;
  vcpu_.set_gpr(kRax, 0x41);
  EXPECT_EQ(ProcessEncryptedStateExit(vcpu_, io), ExitAction::kResumeSame);
  EXPECT_EQ(vcpu_.pending.vector, kVectorVe);
  EXPECT_FALSE(vcpu_.pending.has_error_code);
  EXPECT_EQ(vcpu_.rip(), entry_rip_);
  vcpu_.pending = {};
  vcpu_.set_gpr(kRax, leaf::kVpVeinfoGet);
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kRax), status::kSuccess);
  EXPECT_EQ(vcpu_.gpr(kRcx), 30u) << "VMX exit reason I/O";
  EXPECT_EQ(vcpu_.gpr(kRdx), 0x3f80000u) << "port 0x3f8, size 1, OUT";
  EXPECT_EQ(vcpu_.gpr(kR10), 1u) << "instruction length";
  vcpu_.set_gpr(kRax, leaf::kVpVeinfoGet);
  Tdcall();
  EXPECT_EQ(vcpu_.gpr(kRax), status::kNoValidVeInfo) << "read once";
  // A second #VE before the first was read is a #DF.
  EXPECT_EQ(ProcessEncryptedStateExit(vcpu_, MakeExit(ExitReason::kCpuid)),
            ExitAction::kResumeSame);
  vcpu_.pending = {};
  ProcessEncryptedStateExit(vcpu_, MakeExit(ExitReason::kCpuid));
  EXPECT_EQ(vcpu_.pending.vector, 8);
  // MMIO-window NPF: EPT violation with the (shared) GPA.
  vcpu_.tee.ve = {};
  Exit npf = MakeExit(ExitReason::kNestedPageFault);
  npf.npf.gpa = 0xfed00000;
  npf.npf.write = true;
  ProcessEncryptedStateExit(vcpu_, npf);
  EXPECT_EQ(vcpu_.tee.ve.exit_reason, 48u);
  EXPECT_EQ(vcpu_.tee.ve.gpa, 0xfed00000u | kSharedBit);
  EXPECT_EQ(vcpu_.tee.ve.qualification, 2u);
  // A #UD that is not TDCALL goes back to the guest.
  PlaceCode({0x0f, 0x0b});
  vcpu_.pending = {};
  Exit ud = MakeExit(ExitReason::kUnknown);
  ud.raw_code = 0x46;
  EXPECT_EQ(ProcessEncryptedStateExit(vcpu_, ud), ExitAction::kResumeSame);
  EXPECT_EQ(vcpu_.pending.vector, kVectorUd);
}

}  // namespace
}  // namespace pv
