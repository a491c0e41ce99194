// The paravisor's side of the GHCB protocol for an encrypted-state guest (tee=sev-es|sev-snp):
// one VMGEXIT, either an MSR-protocol request (GHCBInfo != 0 in the GHCB MSR) or an NAE event in
// the GHCB page the MSR names. Requests are served by the ordinary exit handlers through a
// ProtocolRegisterView (vcpu/protocol_registers.h): a GHCB CPUID reaches the one CPUID policy,
// GHCB IO and MMIO reach the console and the host agent's exit proxy like any other exit.
#ifndef PV_GHCB_GHCB_SERVER_H_
#define PV_GHCB_GHCB_SERVER_H_

#include "exits/exit.h"
#include "vcpu/vcpu.h"

namespace pv::ghcb {

// kResumeNext: the VMGEXIT is complete (the caller moves RIP past it); kStop: the guest asked to
// be terminated, halted for good, or sent something no answer can be given to (a GHCB outside
// its shared memory, an unknown MSR-protocol request): vcpu.stop says which.
ExitAction ServeVmgexit(Vcpu& vcpu);

}  // namespace pv::ghcb

#endif  // PV_GHCB_GHCB_SERVER_H_
