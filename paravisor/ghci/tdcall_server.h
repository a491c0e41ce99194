// The paravisor's side of TDCALL for an encrypted-state TDX guest (tee=tdx). On a CPU without
// TDX, TDCALL (66 0F 01 CC) raises #UD, which the paravisor intercepts; it then plays both parts
// a TD's TDCALL reaches on hardware:
//  - the TDX module's own leaves (TDG.VP.INFO, TDG.VP.VEINFO.GET, TDG.MR.RTMR.EXTEND,
//    TDG.MR.REPORT), which read the TD's registers and private memory as the module may;
//  - the VMM behind TDG.VP.VMCALL (GHCI), which sees only the registers the guest exposed in RCX
//    and memory the guest shared, and serves the sub-functions with the ordinary exit handlers
//    through a ProtocolRegisterView: a GHCI CPUID reaches the one CPUID policy, GHCI IO/MMIO the
//    console and the host agent's exit proxy.
#ifndef PV_GHCI_TDCALL_SERVER_H_
#define PV_GHCI_TDCALL_SERVER_H_

#include "exits/exit.h"
#include "vcpu/vcpu.h"

namespace pv::ghci {

// Serves the TDCALL at RIP. kResumeNext: done, outputs in the guest's registers (the caller
// moves RIP past the 4 bytes); kStop: the guest reported a fatal error or halted for good.
ExitAction ServeTdcall(Vcpu& vcpu);

}  // namespace pv::ghci

#endif  // PV_GHCI_TDCALL_SERVER_H_
