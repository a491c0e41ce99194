#include "exits/encrypted_exit.h"

#include "exits/handlers.h"
#include "ghcb/ghcb_page.h"
#include "ghcb/ghcb_server.h"
#include "ghcb/msr_protocol.h"
#include "ghci/tdcall.h"
#include "ghci/tdcall_server.h"
#include "lib/log.h"

namespace pv {
namespace {

constexpr u8 kVmgexit[4] = {0xf3, 0x0f, 0x01, 0xd9};  // rep vmmcall
constexpr u64 kSvmExitRdtsc = 0x6e;
constexpr u64 kSvmExitRdtscp = 0x87;
constexpr u64 kSvmExitWbinvd = 0x89;
constexpr u64 kSvmExitXsetbv = 0x8d;

ExitAction ReflectVc(Vcpu& vcpu, u64 exit_code) {
  ++vcpu.tee.reflected;
  vcpu.InjectException(kVectorVc, true, static_cast<u32>(exit_code));
  return ExitAction::kResumeSame;
}

bool IsVmgexit(Vcpu& vcpu) {
  u8 bytes[sizeof(kVmgexit)];
  if (!vcpu.memory.PlatformReadGva(vcpu.paging(), vcpu.rip(), bytes, sizeof(bytes)).ok()) {
    return false;
  }
  for (usize i = 0; i < sizeof(bytes); ++i) {
    if (bytes[i] != kVmgexit[i]) return false;
  }
  return true;
}

// RDMSR/WRMSR of the GHCB MSR: the CPU's own register on SEV-ES hardware.
ExitAction GhcbMsrAccess(Vcpu& vcpu, const Exit& exit) {
  ++vcpu.stats.by_reason[static_cast<usize>(exit.reason)];
  if (exit.reason == ExitReason::kMsrRead) {
    vcpu.set_gpr(kRax, vcpu.tee.ghcb_msr & 0xffffffffull);
    vcpu.set_gpr(kRdx, vcpu.tee.ghcb_msr >> 32);
  } else {
    vcpu.tee.ghcb_msr = (vcpu.gpr(kRdx) << 32) | (vcpu.gpr(kRax) & 0xffffffffull);
  }
  const Result<u64> len = ExitingInstructionLength(vcpu, exit, /*platform=*/true);
  if (!len.ok())
    return vcpu.Stop(StopReason::kDecodeFailure, exit.raw_code, 0, len.status().message());
  vcpu.set_rip(vcpu.rip() + len.value());
  return ExitAction::kResumeNext;
}

ExitAction ProcessSevExit(Vcpu& vcpu, const Exit& exit) {
  switch (exit.reason) {
    case ExitReason::kHypercall: {
      if (!IsVmgexit(vcpu)) return ReflectVc(vcpu, ghcb::exit_code::kVmmcall);
      ++vcpu.tee.protocol_calls;
      const ExitAction a = ghcb::ServeVmgexit(vcpu);
      if (a == ExitAction::kResumeNext) vcpu.set_rip(vcpu.rip() + sizeof(kVmgexit));
      return a;
    }
    case ExitReason::kMsrRead:
    case ExitReason::kMsrWrite:
      if (exit.msr == ghcb::kMsrGhcb) return GhcbMsrAccess(vcpu, exit);
      return ReflectVc(vcpu, ghcb::exit_code::kMsr);
    case ExitReason::kCpuid:
      return ReflectVc(vcpu, ghcb::exit_code::kCpuid);
    case ExitReason::kIo:
      return ReflectVc(vcpu, ghcb::exit_code::kIoio);
    case ExitReason::kCacheInvalidate:
      return ReflectVc(vcpu, ghcb::exit_code::kInvd);
    case ExitReason::kXsetbv:
      return ReflectVc(vcpu, kSvmExitXsetbv);
    case ExitReason::kNestedPageFault:
      if (!exit.npf.fetch && InMmioWindow(exit.npf.gpa, 1)) {
        return ReflectVc(vcpu, ghcb::exit_code::kNpf);
      }
      break;
    case ExitReason::kUnknown:
      if (exit.raw_code == kSvmExitRdtsc || exit.raw_code == kSvmExitRdtscp ||
          exit.raw_code == kSvmExitWbinvd) {
        return ReflectVc(vcpu, exit.raw_code);
      }
      break;
    default:
      break;
  }
  return ProcessExit(vcpu, exit);
}

// TDX: VMX basic exit reasons, which #VE reports (TDG.VP.VEINFO.GET), whatever the backend.
constexpr u32 kVeCpuid = 10;
constexpr u32 kVeInvd = 13;
constexpr u32 kVeVmcall = 18;
constexpr u32 kVeIo = 30;
constexpr u32 kVeRdmsr = 31;
constexpr u32 kVeWrmsr = 32;
constexpr u32 kVeEptViolation = 48;
constexpr u32 kVeWbinvd = 54;
constexpr u64 kSvmExitUd = 0x46;  // #UD intercept
constexpr u64 kVmxExceptionOrNmi = 0;
constexpr u8 kVectorDf = 8;

// The length of the instruction at RIP, as the platform knows it (hardware next RIP, or the
// platform's decode).
u32 PlatformLength(Vcpu& vcpu, const Exit& exit) {
  const Result<u64> len = ExitingInstructionLength(vcpu, exit, /*platform=*/true);
  return len.ok() ? static_cast<u32>(len.value()) : 0;
}

// Raises #VE with its information recorded for TDG.VP.VEINFO.GET. A #VE while the previous one's
// information has not been read is a #DF, as in a TD.
ExitAction ReflectVe(Vcpu& vcpu, u32 reason, u64 qualification, u64 gpa, u32 length) {
  ++vcpu.tee.reflected;
  if (vcpu.tee.ve.valid) {
    vcpu.InjectException(kVectorDf, true, 0);
    return ExitAction::kResumeSame;
  }
  vcpu.tee.ve = {true, reason, qualification, 0, gpa, length};
  vcpu.InjectException(kVectorVe, false, 0);
  return ExitAction::kResumeSame;
}

// VMX I/O qualification (SDM table 28-5) from the exit model.
u64 IoQualification(const IoExit& io) {
  return static_cast<u64>(io.size - 1) | (io.in ? 1ull << 3 : 0) | (io.string ? 1ull << 4 : 0) |
         (io.rep ? 1ull << 5 : 0) | (static_cast<u64>(io.port) << 16);
}

bool IsTdcall(Vcpu& vcpu) {
  u8 bytes[sizeof(ghci::kTdcall)];
  if (!vcpu.memory.PlatformReadGva(vcpu.paging(), vcpu.rip(), bytes, sizeof(bytes)).ok()) {
    return false;
  }
  for (usize i = 0; i < sizeof(bytes); ++i) {
    if (bytes[i] != ghci::kTdcall[i]) return false;
  }
  return true;
}

ExitAction ProcessTdxExit(Vcpu& vcpu, const Exit& exit) {
  switch (exit.reason) {
    case ExitReason::kCpuid:
      return ReflectVe(vcpu, kVeCpuid, 0, 0, PlatformLength(vcpu, exit));
    case ExitReason::kIo:
      return ReflectVe(vcpu, kVeIo, IoQualification(exit.io), 0, PlatformLength(vcpu, exit));
    case ExitReason::kMsrRead:
      return ReflectVe(vcpu, kVeRdmsr, 0, 0, PlatformLength(vcpu, exit));
    case ExitReason::kMsrWrite:
      return ReflectVe(vcpu, kVeWrmsr, 0, 0, PlatformLength(vcpu, exit));
    case ExitReason::kCacheInvalidate:
      return ReflectVe(vcpu, kVeInvd, 0, 0, PlatformLength(vcpu, exit));
    case ExitReason::kHypercall:
      return ReflectVe(vcpu, kVeVmcall, 0, 0, PlatformLength(vcpu, exit));
    case ExitReason::kNestedPageFault:
      if (!exit.npf.fetch && InMmioWindow(exit.npf.gpa, 1)) {
        // EPT-violation qualification: bit 0 read, bit 1 write.
        return ReflectVe(vcpu, kVeEptViolation, exit.npf.write ? 2 : 1,
                         exit.npf.gpa | ghci::kSharedBit, 0);
      }
      break;
    case ExitReason::kUnknown: {
      const bool ud = (vcpu.backend == Backend::kSvm && exit.raw_code == kSvmExitUd) ||
                      (vcpu.backend == Backend::kVmx && exit.raw_code == kVmxExceptionOrNmi);
      if (ud) {
        if (!IsTdcall(vcpu)) {
          // The guest's own #UD: delivered as the CPU would have.
          vcpu.InjectException(kVectorUd, false, 0);
          return ExitAction::kResumeSame;
        }
        ++vcpu.tee.protocol_calls;
        const ExitAction a = ghci::ServeTdcall(vcpu);
        if (a == ExitAction::kResumeNext) vcpu.set_rip(vcpu.rip() + sizeof(ghci::kTdcall));
        return a;
      }
      if (exit.raw_code == kSvmExitWbinvd || exit.raw_code == kVeWbinvd) {
        return ReflectVe(vcpu, kVeWbinvd, 0, 0, 2);
      }
      break;
    }
    default:
      break;
  }
  return ProcessExit(vcpu, exit);
}

}  // namespace

const char* TeeModeName(TeeMode mode) {
  switch (mode) {
    case TeeMode::kNone:
      return "none";
    case TeeMode::kSevEs:
      return "sev-es";
    case TeeMode::kSevSnp:
      return "sev-snp";
    case TeeMode::kTdx:
      return "tdx";
  }
  return "?";
}

ExitAction ProcessEncryptedStateExit(Vcpu& vcpu, const Exit& exit) {
  if (vcpu.tee.sev()) return ProcessSevExit(vcpu, exit);
  return ProcessTdxExit(vcpu, exit);
}

void ReportProtocolRefusal(Vcpu& vcpu, const char* protocol, const char* what, const char* why) {
  constexpr u32 kReportLimit = 8;
  if (++vcpu.tee.protocol_errors <= kReportLimit) {
    Log("%s: guest %u: %s refused: %s%s", protocol, vcpu.guest_index, what, why,
        vcpu.tee.protocol_errors == kReportLimit ? " (further refusals not reported)" : "");
  }
}

void ReportEncryptedState(const Vcpu& vcpu) {
  if (!vcpu.tee.enabled()) return;
  Log("tee: guest %u: %s: %lu exits reflected as %s, %lu %s served, %u refused, %lu pages shared",
      vcpu.guest_index, TeeModeName(vcpu.tee.mode), vcpu.tee.reflected,
      vcpu.tee.sev() ? "#VC" : "#VE", vcpu.tee.protocol_calls,
      vcpu.tee.sev() ? "VMGEXITs" : "TDCALLs", vcpu.tee.protocol_errors,
      static_cast<u64>(vcpu.tee.shared.count()));
  if (vcpu.tee.mode != TeeMode::kTdx) return;
  Log("tee: guest %u: %u RTMR extensions, %u TDREPORTs (TDG.MR.REPORT)", vcpu.guest_index,
      vcpu.tee.rtmr_extends, vcpu.tee.td_reports);
  // RTMRs are measurements, not secrets: reported for the partition's log and its verifier.
  for (usize i = 0; i < kRtmrCount; ++i) {
    char hex[2 * kRtmrSize + 1];
    for (usize b = 0; b < kRtmrSize; ++b) {
      static constexpr char kDigits[] = "0123456789abcdef";
      hex[2 * b] = kDigits[vcpu.tee.rtmr[i][b] >> 4];
      hex[2 * b + 1] = kDigits[vcpu.tee.rtmr[i][b] & 0xf];
    }
    hex[2 * kRtmrSize] = 0;
    Log("tee: guest %u: RTMR%lu %s", vcpu.guest_index, static_cast<u64>(i), hex);
  }
}

}  // namespace pv
