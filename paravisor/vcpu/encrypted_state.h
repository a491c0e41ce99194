// Per-partition state of an encrypted-state guest (`tee=sev-es|sev-snp|tdx` in the guest's
// module string). Such a guest is treated as SEV-ES/SNP or TDX hardware would treat it: the
// paravisor does not read its registers or private memory; intercepted instructions are
// reflected into the guest as #VC (vector 29) or #VE (vector 20), and the guest asks for help
// through the GHCB (VMGEXIT) or TDG.VP.VMCALL, sharing only what it puts there.
#ifndef PV_VCPU_ENCRYPTED_STATE_H_
#define PV_VCPU_ENCRYPTED_STATE_H_

#include "guest/shared_pages.h"
#include "lib/types.h"

namespace pv {

enum class TeeMode : u8 { kNone, kSevEs, kSevSnp, kTdx };

const char* TeeModeName(TeeMode mode);

constexpr u8 kVectorVe = 20;
constexpr u8 kVectorVc = 29;

// TDX: what the last #VE reported, for TDG.VP.VEINFO.GET (exit reason and qualification in
// VMX format, guest-linear and guest-physical address, instruction length).
struct VeInfo {
  bool valid = false;
  u32 exit_reason = 0;
  u64 qualification = 0;
  u64 gla = 0;
  u64 gpa = 0;
  u32 instruction_length = 0;
};

inline constexpr usize kRtmrCount = 4;
inline constexpr usize kRtmrSize = 48;  // SHA-384

struct EncryptedState {
  TeeMode mode = TeeMode::kNone;
  // GHCB MSR (0xC0010130): on hardware a VMCB field the CPU keeps; here the emulated platform
  // keeps it (the guest's RDMSR/WRMSR of it never reach an exit handler).
  u64 ghcb_msr = 0;
  u64 registered_gfn = ~0ull;  // SNP: the GHCB GPA the guest registered (~0: none)
  u32 protocol_errors = 0;     // GHCB requests refused with an error (for the log)
  u64 reflected = 0;           // intercepted instructions reflected as #VC/#VE
  u64 protocol_calls = 0;      // VMGEXITs / TDCALLs served
  SharedPages shared;
  // TDX.
  VeInfo ve;
  u8 rtmr[kRtmrCount][kRtmrSize] = {};
  u32 rtmr_extends = 0;
  u32 td_reports = 0;    // TDG.MR.REPORTs served
  u32 quotes = 0;        // GetQuotes answered by the quoting service
  u8 notify_vector = 0;  // SetupEventNotifyInterrupt (0: none)

  bool sev() const { return mode == TeeMode::kSevEs || mode == TeeMode::kSevSnp; }
  bool enabled() const { return mode != TeeMode::kNone; }
};

}  // namespace pv

#endif  // PV_VCPU_ENCRYPTED_STATE_H_
