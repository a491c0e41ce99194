// The GHCB protocol end to end on the host: exits of an encrypted-state guest go through
// ProcessEncryptedStateExit as the SVM backend sends them (VMGEXIT = a VMMCALL exit with
// F3 0F 01 D9 at RIP), against real guest memory limited to the guest's shared pages.
#include <gtest/gtest.h>

#include <cstring>

#include "exits/encrypted_exit.h"
#include "exits/handlers.h"
#include "ghcb/ghcb_page.h"
#include "ghcb/msr_protocol.h"
#include "ghcb/nae.h"
#include "guest/abi.h"
#include "guest_fixture.h"

namespace pv {
namespace {

using namespace ghcb;  // NOLINT(google-build-using-namespace): the protocol's many constants

constexpr u64 kGhcbGpa = 0x800000;
constexpr u64 kBuffer = kGhcbGpa + kSharedBufferOffset;

class GhcbTest : public GuestFixture {
 protected:
  void SetUp() override {
    GuestFixture::SetUp();
    vcpu_.tee.mode = TeeMode::kSevEs;
    vcpu_.memory.LimitToShared(&vcpu_.tee.shared);
    entry_rip_ = vcpu_.rip();
    PlaceCode({0xf3, 0x0f, 0x01, 0xd9});
  }

  // One VMGEXIT from the instruction at the entry RIP; RIP is put back afterwards.
  ExitAction Vmgexit() {
    vcpu_.set_rip(entry_rip_);
    const ExitAction a = ProcessEncryptedStateExit(vcpu_, MakeExit(ExitReason::kHypercall));
    if (a == ExitAction::kResumeNext) {
      EXPECT_EQ(vcpu_.rip(), entry_rip_ + 4) << "VMGEXIT is 4 bytes";
    }
    vcpu_.set_rip(entry_rip_);
    return a;
  }
  u64 MsrProtocol(u64 request) {
    vcpu_.tee.ghcb_msr = request;
    EXPECT_EQ(Vmgexit(), ExitAction::kResumeNext);
    return vcpu_.tee.ghcb_msr;
  }
  GhcbPage& Page() { return *reinterpret_cast<GhcbPage*>(ram_.data() + kGhcbGpa); }
  void ShareGhcb() {
    ASSERT_TRUE(vcpu_.tee.shared.Share(kGhcbGpa / kPageSize));
    vcpu_.tee.registered_gfn = kGhcbGpa / kPageSize;
  }
  // Starts a GHCB request: empty bitmap, version 2, usage 0.
  void Begin() {
    std::memset(&Page(), 0, sizeof(GhcbPage));
    Page().protocol_version = 2;
  }
  void Input(Field f, u64 value) {
    switch (f) {
      case Field::kRax:
        Page().rax = value;
        break;
      case Field::kRcx:
        Page().rcx = value;
        break;
      case Field::kRdx:
        Page().rdx = value;
        break;
      case Field::kRdi:
        Page().rdi = value;
        break;
      case Field::kRsi:
        Page().rsi = value;
        break;
      case Field::kSwScratch:
        Page().sw_scratch = value;
        break;
      case Field::kCpl:
        Page().cpl = static_cast<u8>(value);
        break;
      default:
        FAIL() << "no such input in this test";
    }
    SetValid(Page(), f);
  }
  ExitAction Nae(u64 code, u64 info1, u64 info2) {
    Page().sw_exit_code = code;
    Page().sw_exit_info_1 = info1;
    Page().sw_exit_info_2 = info2;
    SetValid(Page(), Field::kSwExitCode);
    SetValid(Page(), Field::kSwExitInfo1);
    SetValid(Page(), Field::kSwExitInfo2);
    vcpu_.tee.ghcb_msr = kGhcbGpa;
    return Vmgexit();
  }
  void ExpectError(GhcbError e) {
    EXPECT_EQ(Page().sw_exit_info_1, kResultError);
    EXPECT_EQ(Page().sw_exit_info_2, static_cast<u64>(e));
    EXPECT_TRUE(IsValid(Page(), Field::kSwExitInfo1));
  }
  void ExpectOk() {
    EXPECT_EQ(Page().sw_exit_info_1, kResultOk);
    EXPECT_TRUE(IsValid(Page(), Field::kSwExitInfo1));
  }

  u64 entry_rip_ = 0;
};

TEST_F(GhcbTest, PageLayoutMatchesTheSpecification) {
  EXPECT_EQ(sizeof(GhcbPage), 4096u);
  EXPECT_EQ(ValidBit(Field::kRax), 63u);
  EXPECT_EQ(ValidBit(Field::kRcx), 97u);
  EXPECT_EQ(ValidBit(Field::kSwExitCode), 114u);
  EXPECT_EQ(ValidBit(Field::kSwExitInfo1), 115u);
  EXPECT_EQ(ValidBit(Field::kSwExitInfo2), 116u);
  EXPECT_EQ(ValidBit(Field::kSwScratch), 117u);
  EXPECT_EQ(ValidBit(Field::kXcr0), 125u);
  GhcbPage p{};
  SetValid(p, Field::kRcx);
  EXPECT_EQ(p.valid_bitmap[1], 1ull << 33);
  EXPECT_TRUE(IsValid(p, Field::kRcx));
  EXPECT_FALSE(IsValid(p, Field::kRax));
}

TEST_F(GhcbTest, MsrProtocolDecodesEveryRequest) {
  EXPECT_EQ(DecodeMsrRequest(0x002).kind, MsrRequestKind::kSevInfo);
  const MsrRequest c = DecodeMsrRequest((0x8000001full << 32) | (3ull << 30) | 0x004);
  EXPECT_EQ(c.kind, MsrRequestKind::kCpuid);
  EXPECT_EQ(c.function, 0x8000001fu);
  EXPECT_EQ(c.cpuid_register, 3);
  EXPECT_EQ(DecodeMsrRequest(0x006).kind, MsrRequestKind::kApResetHold);
  EXPECT_EQ(DecodeMsrRequest(0x010).kind, MsrRequestKind::kPreferredGpa);
  const MsrRequest reg = DecodeMsrRequest(0x123000 | 0x012);
  EXPECT_EQ(reg.kind, MsrRequestKind::kRegisterGpa);
  EXPECT_EQ(reg.gfn, 0x123u);
  const MsrRequest psc = DecodeMsrRequest((2ull << 52) | 0x456000 | 0x014);
  EXPECT_EQ(psc.kind, MsrRequestKind::kPageState);
  EXPECT_EQ(psc.gfn, 0x456u);
  EXPECT_EQ(psc.psc_op, kPscShared);
  EXPECT_EQ(DecodeMsrRequest(0x080).kind, MsrRequestKind::kHvFeatures);
  const MsrRequest t = DecodeMsrRequest(0x100 | (1 << 12) | (0x42 << 16));
  EXPECT_EQ(t.kind, MsrRequestKind::kTermination);
  EXPECT_EQ(t.reason_set, 1);
  EXPECT_EQ(t.reason_code, 0x42);
  EXPECT_EQ(DecodeMsrRequest(0x001).kind, MsrRequestKind::kUnknown) << "a response code";
  EXPECT_EQ(DecodeMsrRequest(0xfff).kind, MsrRequestKind::kUnknown);
  EXPECT_EQ(DecodeMsrRequest(kGhcbGpa).kind, MsrRequestKind::kGhcbGpa);
}

TEST_F(GhcbTest, MsrProtocolAnswers) {
  const u64 info = MsrProtocol(0x002);
  EXPECT_EQ(info & 0xfff, 0x001u);
  EXPECT_EQ(info >> 48, 2u) << "max protocol";
  EXPECT_EQ((info >> 32) & 0xffff, 1u) << "min protocol";
  EXPECT_EQ((info >> 24) & 0xff, 51u) << "C-bit position";

  // CPUID through the MSR protocol is the one CPUID policy's answer.
  const u64 sig = MsrProtocol((0x40000000ull << 32) | (1ull << 30) | 0x004);
  EXPECT_EQ(sig & 0xfff, 0x005u);
  EXPECT_EQ((sig >> 30) & 3, 1u);
  EXPECT_EQ(static_cast<u32>(sig >> 32), 0x61507650u) << "\"PvPa\"";

  EXPECT_EQ(MsrProtocol(0x010), 0xfffffffffffff011ull) << "no preferred GHCB GPA";
  EXPECT_EQ(MsrProtocol(kGhcbGpa | 0x012), kGhcbGpa | 0x013);
  EXPECT_EQ(vcpu_.tee.registered_gfn, kGhcbGpa / kPageSize);
  EXPECT_EQ(MsrProtocol(0x40000000 | 0x012), 0xfffffffffffff013ull) << "GFN beyond RAM";
  EXPECT_EQ(MsrProtocol(0x080), 0x081u) << "SEV-ES: no SNP feature";
  vcpu_.tee.mode = TeeMode::kSevSnp;
  EXPECT_EQ(MsrProtocol(0x080), 0x1081u) << "SEV-SNP feature bit";
}

TEST_F(GhcbTest, PageStateChangeSharesAndUnsharesPagesOfTheGuestOnly) {
  EXPECT_EQ(MsrProtocol((2ull << 52) | 0x900000 | 0x014), 0x015u);
  EXPECT_TRUE(vcpu_.tee.shared.IsShared(0x900));
  u8 byte = 0;
  EXPECT_TRUE(vcpu_.memory.ReadGpa(0x900010, &byte, 1).ok());
  EXPECT_EQ(MsrProtocol((1ull << 52) | 0x900000 | 0x014), 0x015u);
  EXPECT_FALSE(vcpu_.tee.shared.IsShared(0x900));
  EXPECT_FALSE(vcpu_.memory.ReadGpa(0x900010, &byte, 1).ok()) << "private again";
  EXPECT_EQ(MsrProtocol((2ull << 52) | 0x40000000 | 0x014) >> 32, kPscErrorOutsideGuest);
  EXPECT_EQ(MsrProtocol((7ull << 52) | 0x900000 | 0x014) >> 32, kPscErrorBadOperation);
  for (u64 i = 0; i < SharedPages::kCapacity; ++i) MsrProtocol((2ull << 52) | (i << 12) | 0x014);
  EXPECT_EQ(MsrProtocol((2ull << 52) | 0xa00000 | 0x014) >> 32, kPscErrorNoRoom);
}

TEST_F(GhcbTest, TerminationUnknownRequestsAndApResetHoldStopTheGuest) {
  vcpu_.tee.ghcb_msr = 0x100 | (1 << 12) | (0x42 << 16);
  EXPECT_EQ(Vmgexit(), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kTerminated);
  EXPECT_EQ(vcpu_.stop.code, 0x142u);
  vcpu_.tee.ghcb_msr = 0x0ff;
  EXPECT_EQ(Vmgexit(), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kProtocolError);
  vcpu_.tee.ghcb_msr = 0x006;
  EXPECT_EQ(Vmgexit(), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kHalted);
}

TEST_F(GhcbTest, GhcbMsrIsThePlatformsRegister) {
  PlaceCode({0x0f, 0x30});  // WRMSR
  vcpu_.set_gpr(kRax, 0x12345002);
  vcpu_.set_gpr(kRdx, 0x1);
  Exit e = MakeExit(ExitReason::kMsrWrite);
  e.msr = kMsrGhcb;
  EXPECT_EQ(ProcessEncryptedStateExit(vcpu_, e), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.tee.ghcb_msr, 0x112345002ull);
  EXPECT_EQ(vcpu_.rip(), entry_rip_ + 2);
  EXPECT_FALSE(vcpu_.pending.valid) << "no #VC for the GHCB MSR";
  vcpu_.set_rip(entry_rip_);
  PlaceCode({0x0f, 0x32});  // RDMSR
  vcpu_.set_gpr(kRax, 0);
  vcpu_.set_gpr(kRdx, 0);
  e.reason = ExitReason::kMsrRead;
  EXPECT_EQ(ProcessEncryptedStateExit(vcpu_, e), ExitAction::kResumeNext);
  EXPECT_EQ(vcpu_.gpr(kRax), 0x12345002u);
  EXPECT_EQ(vcpu_.gpr(kRdx), 1u);
}

TEST_F(GhcbTest, InterceptedInstructionsAreReflectedAsVc) {
  struct Case {
    ExitReason reason;
    u64 raw_code;
    u32 vc_code;
  };
  const Case cases[] = {
      {ExitReason::kCpuid, 0x72, 0x72},           {ExitReason::kIo, 0x7b, 0x7b},
      {ExitReason::kMsrRead, 0x7c, 0x7c},         {ExitReason::kMsrWrite, 0x7c, 0x7c},
      {ExitReason::kCacheInvalidate, 0x76, 0x76}, {ExitReason::kUnknown, 0x6e, 0x6e},
      {ExitReason::kUnknown, 0x87, 0x87},         {ExitReason::kUnknown, 0x89, 0x89},
      {ExitReason::kXsetbv, 0x8d, 0x8d},
  };
  for (const Case& c : cases) {
    vcpu_.pending = {};
    vcpu_.set_gpr(kRax, 0x40000000);
    Exit e = MakeExit(c.reason);
    e.raw_code = c.raw_code;
    e.msr = 0x277;
    EXPECT_EQ(ProcessEncryptedStateExit(vcpu_, e), ExitAction::kResumeSame);
    EXPECT_TRUE(vcpu_.pending.valid);
    EXPECT_EQ(vcpu_.pending.vector, kVectorVc);
    EXPECT_TRUE(vcpu_.pending.has_error_code);
    EXPECT_EQ(vcpu_.pending.error_code, c.vc_code);
    EXPECT_EQ(vcpu_.rip(), entry_rip_) << "the instruction is left for the guest's handler";
    EXPECT_EQ(vcpu_.gpr(kRax), 0x40000000u) << "no register touched";
  }
  // A plain VMMCALL (no REP prefix) is not a VMGEXIT.
  PlaceCode({0x0f, 0x01, 0xd9});
  vcpu_.pending = {};
  EXPECT_EQ(ProcessEncryptedStateExit(vcpu_, MakeExit(ExitReason::kHypercall)),
            ExitAction::kResumeSame);
  EXPECT_EQ(vcpu_.pending.error_code, 0x81u);
  // MMIO-window NPF: #VC 0x400; any other NPF stops the guest as before.
  Exit npf = MakeExit(ExitReason::kNestedPageFault);
  npf.npf.gpa = 0xfed00000;
  vcpu_.pending = {};
  EXPECT_EQ(ProcessEncryptedStateExit(vcpu_, npf), ExitAction::kResumeSame);
  EXPECT_EQ(vcpu_.pending.error_code, 0x400u);
  npf.npf.gpa = 0x40000000;
  EXPECT_EQ(ProcessEncryptedStateExit(vcpu_, npf), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kNptViolation);
}

TEST_F(GhcbTest, CpuidEventReachesTheOneCpuidPolicyWithOnlyTheGhcbsInputs) {
  ShareGhcb();
  vcpu_.set_gpr(kRax, 0);  // the guest's real registers: never what the handler sees
  vcpu_.set_gpr(kRbx, 0x5ec7e7);
  Begin();
  Input(Field::kRax, 0x40000000);
  Input(Field::kRcx, 0);
  EXPECT_EQ(Nae(exit_code::kCpuid, 0, 0), ExitAction::kResumeNext);
  ExpectOk();
  EXPECT_EQ(Page().rbx, 0x61507650u);
  EXPECT_TRUE(IsValid(Page(), Field::kRax) && IsValid(Page(), Field::kRbx) &&
              IsValid(Page(), Field::kRcx) && IsValid(Page(), Field::kRdx));
  EXPECT_EQ(vcpu_.gpr(kRbx), 0x5ec7e7u) << "real registers restored, untouched";
  EXPECT_EQ(vcpu_.stats.by_reason[static_cast<usize>(ExitReason::kCpuid)], 1u);
}

TEST_F(GhcbTest, IoioEventsReachTheConsoleAndTheRefusedPortRule) {
  ShareGhcb();
  Begin();
  Input(Field::kRax, 'A');
  EXPECT_EQ(Nae(exit_code::kIoio, (0x3f8u << 16) | 0x10, 0), ExitAction::kResumeNext);
  ExpectOk();
  Begin();
  Input(Field::kRax, '\n');
  Nae(exit_code::kIoio, (0x3f8u << 16) | 0x10, 0);
  EXPECT_NE(fake::LogText().find("[guest] A"), std::string::npos);
  Begin();
  EXPECT_EQ(Nae(exit_code::kIoio, (0x80u << 16) | 0x40 | 1, 0), ExitAction::kResumeNext);
  EXPECT_EQ(Page().rax, 0xffffffffu) << "refused port reads all ones";
  EXPECT_TRUE(IsValid(Page(), Field::kRax));
  // REP OUTSB of "hi\n" through the shared buffer.
  Begin();
  std::memcpy(Page().shared_buffer, "hi\n", 3);
  Input(Field::kSwScratch, kBuffer);
  EXPECT_EQ(Nae(exit_code::kIoio, (0x3f8u << 16) | 0x10 | 0x04 | 0x08 | 0x200, 3),
            ExitAction::kResumeNext);
  ExpectOk();
  EXPECT_NE(fake::LogText().find("[guest] hi"), std::string::npos);
  // REP INSB of 4 bytes from the refused port: written into the shared buffer.
  Begin();
  Input(Field::kSwScratch, kBuffer + 16);
  Nae(exit_code::kIoio, (0x80u << 16) | 0x10 | 0x04 | 0x08 | 0x200 | 1, 4);
  ExpectOk();
  EXPECT_EQ(std::memcmp(Page().shared_buffer + 16, "\xff\xff\xff\xff", 4), 0);
  EXPECT_EQ(Page().shared_buffer[20], 0);
}

TEST_F(GhcbTest, MsrEventsAndTheExceptionAnswer) {
  ShareGhcb();
  Begin();
  Input(Field::kRcx, 0x277);
  Nae(exit_code::kMsr, 0, 0);
  ExpectOk();
  EXPECT_EQ(Page().rax | (Page().rdx << 32), vcpu_.pat());
  Begin();
  Input(Field::kRcx, 0xdead0000);
  Nae(exit_code::kMsr, 0, 0);
  EXPECT_EQ(Page().sw_exit_info_1, kResultException);
  EXPECT_EQ(Page().sw_exit_info_2, EncodeException(13, true, 0));
  EXPECT_FALSE(vcpu_.pending.valid) << "the guest raises it, the paravisor does not inject it";
  Begin();
  Input(Field::kRcx, 0x277);
  Nae(exit_code::kMsr, 1, 0);
  ExpectError(GhcbError::kMissingInput);  // WRMSR without RAX/RDX
  Begin();
  Input(Field::kRcx, 0x277);
  Input(Field::kRax, 0x00070106);
  Input(Field::kRdx, 0x00070406);
  Nae(exit_code::kMsr, 1, 0);
  ExpectOk();
  EXPECT_EQ(vcpu_.pat(), 0x0007040600070106ull);
}

TEST_F(GhcbTest, VmmcallRdtscCacheAndFeatureEvents) {
  ShareGhcb();
  Begin();
  Input(Field::kRax, abi::kHcGetAbiVersion);
  Input(Field::kCpl, 0);
  Nae(exit_code::kVmmcall, 0, 0);
  EXPECT_EQ(Page().rax, abi::kAbiVersion);
  // PRINT of a guest-virtual buffer: the guest's page tables are private: -14.
  Begin();
  Input(Field::kRax, abi::kHcPrint);
  Input(Field::kCpl, 0);
  Input(Field::kRdi, 0x100000);
  Input(Field::kRsi, 4);
  Nae(exit_code::kVmmcall, 0, 0);
  EXPECT_EQ(static_cast<i64>(Page().rax), abi::kHcErrFault);
  Begin();
  Input(Field::kRax, abi::kHcGetAbiVersion);
  Nae(exit_code::kVmmcall, 0, 0);
  ExpectError(GhcbError::kMissingInput);  // no CPL
  fake::Tsc() = 0x123456789;
  Begin();
  Nae(exit_code::kRdtsc, 0, 0);
  ExpectOk();
  EXPECT_EQ(Page().rax | (Page().rdx << 32), 0x123456789ull);
  Begin();
  Nae(exit_code::kRdtscp, 0, 0);
  EXPECT_TRUE(IsValid(Page(), Field::kRcx));
  EXPECT_EQ(Page().rcx, 0u);
  Begin();
  Nae(exit_code::kWbinvd, 0, 0);
  ExpectOk();
  Begin();
  Nae(exit_code::kInvd, 0, 0);
  ExpectOk();
  Begin();
  Nae(exit_code::kHvFeatures, 0, 0);
  ExpectOk();
  EXPECT_EQ(Page().sw_exit_info_2, 0u);
  Begin();
  EXPECT_EQ(Nae(exit_code::kTermination, 3 | (0x21 << 4), 0), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kTerminated);
  EXPECT_EQ(vcpu_.stop.code, 0x321u);
}

TEST_F(GhcbTest, ValidationRefusesEveryMalformedRequest) {
  ShareGhcb();
  Begin();
  Page().ghcb_usage = 1;
  Nae(exit_code::kRdtsc, 0, 0);
  ExpectError(GhcbError::kInvalidUsage);
  Begin();
  Page().protocol_version = 3;
  Nae(exit_code::kRdtsc, 0, 0);
  ExpectError(GhcbError::kInvalidUsage);
  Begin();
  Page().sw_exit_code = exit_code::kRdtsc;
  vcpu_.tee.ghcb_msr = kGhcbGpa;
  Vmgexit();
  ExpectError(GhcbError::kMissingInput);
  Begin();
  Input(Field::kRax, 0);
  Nae(exit_code::kCpuid, 0, 0);
  ExpectError(GhcbError::kMissingInput);
  Begin();
  Input(Field::kRax, 0xd);
  Input(Field::kRcx, 0);
  Nae(exit_code::kCpuid, 0, 0);
  ExpectError(GhcbError::kMissingInput);  // leaf 0xD needs XCR0
  Begin();
  Nae(exit_code::kIoio, (0x3f8u << 16) | 0x30, 0);
  ExpectError(GhcbError::kInvalidInput);  // two size bits
  Begin();
  Nae(exit_code::kIoio, (0x3f8u << 16) | 0x10, 0);
  ExpectError(GhcbError::kMissingInput);  // OUT without RAX
  Begin();
  Input(Field::kSwScratch, kBuffer);
  Nae(exit_code::kIoio, (0x3f8u << 16) | 0x10 | 0x04 | 0x200, kSharedBufferSize + 1);
  ExpectError(GhcbError::kInvalidScratchArea);  // more than the buffer
  Begin();
  Input(Field::kSwScratch, kBuffer + kSharedBufferSize - 2);
  Nae(exit_code::kIoio, (0x3f8u << 16) | 0x20 | 0x04 | 0x200, 2);
  ExpectError(GhcbError::kInvalidScratchArea);  // runs past the end of the buffer
  Begin();
  Input(Field::kSwScratch, kGhcbGpa + 0x100);
  Nae(exit_code::kIoio, (0x3f8u << 16) | 0x10 | 0x04 | 0x200, 1);
  ExpectError(GhcbError::kInvalidScratchArea);  // the save area is not the buffer
  Begin();
  Input(Field::kSwScratch, kBuffer);
  Nae(exit_code::kIoio, (0x3f8u << 16) | 0x10 | 0x04, 1);
  ExpectError(GhcbError::kInvalidInput);  // no address-size bit
  Begin();
  Input(Field::kRcx, 0x277);
  Nae(exit_code::kMsr, 2, 0);
  ExpectError(GhcbError::kInvalidInput);
  Begin();
  Input(Field::kSwScratch, kBuffer);
  Nae(exit_code::kMmioRead, 0xfed00000, 3);
  ExpectError(GhcbError::kInvalidInput);
  Begin();
  Nae(exit_code::kMmioRead, 0xfed00000, 4);
  ExpectError(GhcbError::kMissingInput);
  Begin();
  Input(Field::kSwScratch, kBuffer);
  Nae(exit_code::kMmioRead, 0xfed00000, 4);
  ExpectError(GhcbError::kInvalidInput);  // no agent: no device
  Begin();
  Nae(0x12345, 0, 0);
  ExpectError(GhcbError::kInvalidEvent);
  Begin();
  Nae(exit_code::kSnpGuestRequest, 0x900000, kGhcbGpa);
  ExpectError(GhcbError::kInvalidInput);  // request page not shared
  Begin();
  Nae(exit_code::kSnpGuestRequest, kGhcbGpa, kGhcbGpa);
  ExpectError(GhcbError::kInvalidEvent);  // SEV-ES: not an SNP partition
  vcpu_.tee.mode = TeeMode::kSevSnp;
  Begin();
  Nae(exit_code::kSnpGuestRequest, kGhcbGpa, kGhcbGpa);
  ExpectError(GhcbError::kInvalidEvent);  // no secure-processor transport
  EXPECT_GT(vcpu_.tee.protocol_errors, 10u);
}

TEST_F(GhcbTest, GhcbOutsideSharedMemoryStopsTheGuest) {
  vcpu_.tee.ghcb_msr = 0x40000000;
  EXPECT_EQ(Vmgexit(), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kProtocolError);
  vcpu_.tee.ghcb_msr = kGhcbGpa;  // in RAM, not shared
  EXPECT_EQ(Vmgexit(), ExitAction::kStop);
  EXPECT_EQ(vcpu_.stop.reason, StopReason::kProtocolError);
  ASSERT_TRUE(vcpu_.tee.shared.Share(kGhcbGpa / kPageSize));
  vcpu_.tee.mode = TeeMode::kSevSnp;  // shared but not registered
  Begin();
  EXPECT_EQ(Nae(exit_code::kRdtsc, 0, 0), ExitAction::kStop);
  EXPECT_STREQ(vcpu_.stop.message, "GHCB GPA not registered (SEV-SNP requires registration)");
}

TEST_F(GhcbTest, GuestMemoryOfAnEncryptedGuestIsLimitedToItsSharedPages) {
  u8 b = 0;
  EXPECT_FALSE(vcpu_.memory.ReadGpa(0x100000, &b, 1).ok());
  EXPECT_FALSE(vcpu_.memory.WriteGpa(0x100000, &b, 1).ok());
  EXPECT_FALSE(vcpu_.memory.Translate(vcpu_.paging(), 0x100000).ok());
  u8 insn[4];
  ASSERT_TRUE(vcpu_.memory.PlatformReadGva(vcpu_.paging(), vcpu_.rip(), insn, 4).ok());
  EXPECT_EQ(insn[0], 0xf3);
  ASSERT_TRUE(vcpu_.tee.shared.Share(0x100));
  EXPECT_TRUE(vcpu_.memory.ReadGpa(0x100ff0, &b, 1).ok());
  u8 two[2];
  EXPECT_FALSE(vcpu_.memory.ReadGpa(0x100fff, two, 2).ok()) << "crosses into a private page";
}

}  // namespace
}  // namespace pv
