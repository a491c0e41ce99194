#include "exits/encrypted_exit.h"

#include "exits/handlers.h"
#include "ghcb/ghcb_page.h"
#include "ghcb/ghcb_server.h"
#include "ghcb/msr_protocol.h"
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
  if (!vcpu.memory.PlatformReadGva(vcpu.paging, vcpu.rip, bytes, sizeof(bytes)).ok()) {
    return false;
  }
  for (usize i = 0; i < sizeof(bytes); ++i) {
    if (bytes[i] != kVmgexit[i]) return false;
  }
  return true;
}

// RDMSR/WRMSR of the GHCB MSR: the CPU's own register on SEV-ES hardware.
ExitAction GhcbMsrAccess(Vcpu& vcpu, const Exit& exit) {
  ++vcpu.stats.total;
  if (exit.reason == ExitReason::kMsrRead) {
    vcpu.gpr(kRax) = vcpu.tee.ghcb_msr & 0xffffffffull;
    vcpu.gpr(kRdx) = vcpu.tee.ghcb_msr >> 32;
  } else {
    vcpu.tee.ghcb_msr = (vcpu.gpr(kRdx) << 32) | (vcpu.gpr(kRax) & 0xffffffffull);
  }
  const Result<u64> len = ExitingInstructionLength(vcpu, exit, /*platform=*/true);
  if (!len.ok()) return vcpu.Stop(StopReason::kDecodeFailure, exit.raw_code, 0, len.status().message());
  vcpu.rip += len.value();
  return ExitAction::kResumeNext;
}

ExitAction ProcessSevExit(Vcpu& vcpu, const Exit& exit) {
  switch (exit.reason) {
    case ExitReason::kHypercall: {
      if (!IsVmgexit(vcpu)) return ReflectVc(vcpu, ghcb::exit_code::kVmmcall);
      ++vcpu.tee.protocol_calls;
      ++vcpu.stats.total;
      const ExitAction a = ghcb::ServeVmgexit(vcpu);
      if (a == ExitAction::kResumeNext) vcpu.rip += sizeof(kVmgexit);
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
  return ProcessExit(vcpu, exit);
}

void ReportEncryptedState(const Vcpu& vcpu) {
  if (!vcpu.tee.enabled()) return;
  Log("tee: guest %u: %s: %lu exits reflected as %s, %lu %s served, %u refused, %lu pages shared",
      vcpu.guest_index, TeeModeName(vcpu.tee.mode), vcpu.tee.reflected,
      vcpu.tee.sev() ? "#VC" : "#VE", vcpu.tee.protocol_calls,
      vcpu.tee.sev() ? "VMGEXITs" : "TDCALLs", vcpu.tee.protocol_errors,
      static_cast<u64>(vcpu.tee.shared.count()));
}

}  // namespace pv
