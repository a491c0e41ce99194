#include "attest/hw_transport.h"

#include "arch/cpu.h"

namespace pv::attest {
namespace {

constexpr u32 kMsrSevStatus = 0xc0010131;
constexpr u64 kSevStatusSnpActive = 1ull << 2;
constexpr u32 kMsrGhcb = 0xc0010130;
constexpr u64 kSwExitGuestRequest = 0x80000011;

// GHCB (AMD 56421, "GHCB layout"): the fields the guest request uses.
constexpr usize kGhcbSwExitCode = 0x390;
constexpr usize kGhcbSwExitInfo1 = 0x398;
constexpr usize kGhcbSwExitInfo2 = 0x3a0;
constexpr usize kGhcbValidBitmap = 0x3f0;
constexpr usize kGhcbUsage = 0xffa;
constexpr usize kGhcbProtocolVersion = 0xffc;

constexpr u64 kTdcallMrReport = 4;
constexpr u64 kTdcallRtmrExtend = 2;
constexpr u64 kTdcallVpVmcall = 0;
constexpr u64 kTdvmcallGetQuote = 0x10002;

void SetValid(u8* ghcb, usize field_offset) {
  const usize qword = field_offset / 8;
  ghcb[kGhcbValidBitmap + qword / 8] |= static_cast<u8>(1u << (qword % 8));
}

void Put64(u8* p, u64 v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<u8>(v >> (8 * i));
}
u64 Get64(const u8* p) {
  u64 v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<u64>(p[i]) << (8 * i);
  return v;
}

}  // namespace

bool DetectSevSnpGuest() {
  if (arch::Cpuid(0x80000000).eax < 0x8000001f) return false;
  // CPUID 0x8000_001F EAX bit 4: SEV-SNP supported (otherwise SEV_STATUS may not exist).
  if ((arch::Cpuid(0x8000001f).eax & (1u << 4)) == 0) return false;
  return (arch::Rdmsr(kMsrSevStatus) & kSevStatusSnpActive) != 0;
}

bool DetectTdxGuest() {
  if (arch::Cpuid(0).eax < 0x21) return false;
  const arch::CpuidRegs r = arch::Cpuid(0x21, 0);
  // "IntelTDX    " in EBX, EDX, ECX.
  return r.ebx == 0x65746e49 && r.edx == 0x5844546c && r.ecx == 0x20202020;
}

Result<usize> GhcbGuestRequest(u64 request_page_gpa, u64 response_page_gpa) {
  if (!DetectSevSnpGuest()) {
    return Status(Err::kUnsupported, "attest: not an SEV-SNP guest (no GHCB transport)");
  }
  // On hardware the GHCB is a shared page registered through the GHCB MSR protocol; the
  // paravisor would have done that at boot (not implemented: no hardware here).
  const u64 ghcb_gpa = arch::Rdmsr(kMsrGhcb);
  if (ghcb_gpa == 0 || (ghcb_gpa & 0xfff) != 0) {
    return Status(Err::kUnsupported, "attest: no GHCB page registered");
  }
  u8* ghcb = reinterpret_cast<u8*>(ghcb_gpa);  // NOLINT(performance-no-int-to-ptr): identity map
  for (usize i = 0; i < 16; ++i) ghcb[kGhcbValidBitmap + i] = 0;
  Put64(ghcb + kGhcbSwExitCode, kSwExitGuestRequest);
  Put64(ghcb + kGhcbSwExitInfo1, request_page_gpa);
  Put64(ghcb + kGhcbSwExitInfo2, response_page_gpa);
  SetValid(ghcb, kGhcbSwExitCode);
  SetValid(ghcb, kGhcbSwExitInfo1);
  SetValid(ghcb, kGhcbSwExitInfo2);
  ghcb[kGhcbProtocolVersion] = 2;
  ghcb[kGhcbUsage] = 0;
  // VMGEXIT is REP VMMCALL.
  asm volatile("rep; vmmcall" ::: "memory");
  // SW_EXITINFO2 after the exit: 0 success; the upper word carries the firmware error, bit 32
  // INVALID_LEN, bit 33 BUSY (the caller must then resend with the *same* sequence number).
  const u64 result = Get64(ghcb + kGhcbSwExitInfo2);
  if (result != 0) return Status(Err::kHardware, "attest: GHCB guest request failed");
  return static_cast<usize>(4096);
}

Status TdcallMrReport(u64 report_data_gpa, u64 tdreport_gpa) {
  if (!DetectTdxGuest()) return Status(Err::kUnsupported, "attest: not a TDX guest (no TDCALL)");
  register u64 rax asm("rax") = kTdcallMrReport;
  register u64 rcx asm("rcx") = tdreport_gpa;
  register u64 rdx asm("rdx") = report_data_gpa;
  register u64 r8 asm("r8") = 0;               // report subtype 0
  asm volatile(".byte 0x66, 0x0f, 0x01, 0xcc"  // TDCALL
               : "+r"(rax), "+r"(rcx), "+r"(rdx), "+r"(r8)
               :
               : "memory");
  if (rax != 0) return Status(Err::kHardware, "attest: TDG.MR.REPORT failed");
  return Status::Ok();
}

Status TdcallRtmrExtend(u64 data_gpa, u64 index) {
  if (!DetectTdxGuest()) return Status(Err::kUnsupported, "attest: not a TDX guest (no TDCALL)");
  register u64 rax asm("rax") = kTdcallRtmrExtend;
  register u64 rcx asm("rcx") = data_gpa;
  register u64 rdx asm("rdx") = index;
  asm volatile(".byte 0x66, 0x0f, 0x01, 0xcc"  // TDCALL
               : "+r"(rax), "+r"(rcx), "+r"(rdx)
               :
               : "memory");
  if (rax != 0) return Status(Err::kHardware, "attest: TDG.MR.RTMR.EXTEND failed");
  return Status::Ok();
}

Status TdvmcallGetQuote(u64 buffer_gpa, u64 size) {
  if (!DetectTdxGuest()) return Status(Err::kUnsupported, "attest: not a TDX guest (no TDCALL)");
  // The buffer must be converted to shared (MapGPA) first; the paravisor would do that at boot.
  register u64 rax asm("rax") = kTdcallVpVmcall;
  register u64 rcx asm("rcx") = 0x3c00;  // expose R10..R13 to the VMM
  register u64 r10 asm("r10") = 0;       // standard TDVMCALL
  register u64 r11 asm("r11") = kTdvmcallGetQuote;
  register u64 r12 asm("r12") = buffer_gpa;
  register u64 r13 asm("r13") = size;
  asm volatile(".byte 0x66, 0x0f, 0x01, 0xcc"  // TDCALL
               : "+r"(rax), "+r"(rcx), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13)
               :
               : "memory");
  if (rax != 0 || r10 != 0) return Status(Err::kHardware, "attest: TDVMCALL GetQuote failed");
  return Status::Ok();
}

}  // namespace pv::attest
