// Exit processing for an encrypted-state guest (vcpu.tee.enabled()), in place of ProcessExit:
// where SEV-ES hardware would raise #VC in the guest (CPUID, IO, MSR, RDTSC/RDTSCP, WBINVD,
// INVD, XSETBV, VMMCALL, an NPF in the MMIO window), the exit is reflected as #VC with the exit
// code as error code and RIP left on the instruction, for the guest's own handler. VMGEXIT goes
// to the GHCB server; the GHCB MSR is the platform's register. Everything else (HLT, the timer
// tick, shutdown, other NPFs, entry failures) takes the ordinary path.
//
// VMGEXIT is `rep vmmcall` (F3 0F 01 D9); on a CPU without SEV-ES it exits as VMMCALL, and the
// REP prefix byte at RIP is what tells the two apart. Reading that byte (and the length of the
// GHCB MSR's RDMSR/WRMSR) is the emulated platform's stand-in for what the CPU knows; no exit
// handler reads the guest's memory or registers beyond what the guest shared.
//
// TDX (tee=tdx, either backend): CPUID, IO, RDMSR/WRMSR, INVD, WBINVD, VMCALL/VMMCALL and an NPF
// in the MMIO window raise #VE (vector 20) with the VE information TDG.VP.VEINFO.GET returns (VMX
// exit reason, qualification, GPA, instruction length). TDCALL raises #UD on these CPUs; the #UD
// intercept recognises its bytes (66 0F 01 CC) at RIP and serves it (ghci/tdcall_server.h); any
// other #UD goes back to the guest. HLT, XSETBV, the timer and the stop exits take the ordinary
// path (XSETBV's checks are what the TDX module would apply).
#ifndef PV_EXITS_ENCRYPTED_EXIT_H_
#define PV_EXITS_ENCRYPTED_EXIT_H_

#include "exits/exit.h"
#include "exits/handlers.h"
#include "vcpu/vcpu.h"

namespace pv {

ExitAction ProcessEncryptedStateExit(Vcpu& vcpu, const Exit& exit);

// What the backends' run loops call after a guest exit: the encrypted-state path for a tee= guest,
// the ordinary exit model otherwise (one flag test on the common path). Always inline: as an
// out-of-line call it costs the common exit a call, a frame and two saved registers.
[[gnu::always_inline]] inline ExitAction ProcessGuestExit(Vcpu& vcpu, const Exit& exit) {
  if (vcpu.tee.enabled()) [[unlikely]]
    return ProcessEncryptedStateExit(vcpu, exit);
  return ProcessExit(vcpu, exit);
}

// A guest of the paravisor's own ABI: neither the PC platform (vcpu.irq) nor the encrypted-state
// mode, both fixed before the guest first runs. The backends run it in a loop that tests neither
// and calls ProcessExit directly.
inline bool IsPlainGuest(const Vcpu& vcpu) {
  return !vcpu.irq.enabled && !vcpu.tee.enabled();
}

// For the GHCB and GHCI servers. An exit of `reason` and nothing else: what a protocol request
// hands to DispatchExit.
inline Exit ProtocolExit(ExitReason reason) {
  Exit e;
  e.reason = reason;
  return e;
}
// Counts a request refused with the protocol's error and logs the first few
// ("<protocol>: guest N: <what> refused: <why>").
void ReportProtocolRefusal(Vcpu& vcpu, const char* protocol, const char* what, const char* why);

// Logs what the encrypted-state layer did for the guest (after it stopped).
void ReportEncryptedState(const Vcpu& vcpu);

}  // namespace pv

#endif  // PV_EXITS_ENCRYPTED_EXIT_H_
