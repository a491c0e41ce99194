// CPU state that neither VMRUN/#VMEXIT nor VM entry/exit switches, so a guest's values stay in
// the physical registers after it stops: x87/SSE/AVX and every other XSAVE component, XCR0,
// DR0-DR3 and DR6, CR2 (VMX), CR8/TPR (VMX without a TPR shadow). The paravisor itself never
// uses them (it is built with -mgeneral-regs-only and takes no debug traps), so only the guests
// can leave values there. Before a guest's first entry they are all reset to the architectural
// initial state, so no guest can read what an earlier one (or the boot firmware) left.
#ifndef PV_ARCH_SHARED_CPU_STATE_H_
#define PV_ARCH_SHARED_CPU_STATE_H_

#include "lib/types.h"

namespace pv::arch {

// Boot: CR4.OSFXSR/OSXMMEXCPT (FXRSTOR, SSE) and, when the CPU has XSAVE, CR4.OSXSAVE, so
// the paravisor can reset extended state and execute XSETBV for guests. Records the XCR0
// components the CPU supports (CPUID.(EAX=0Dh,ECX=0):EDX:EAX).
void EnableExtendedStateControl();

// The XCR0 bits this CPU supports (0 without XSAVE).
u64 HostXcr0Supported();

// Resets the shared state to its initial values: XRSTOR of an image with XSTATE_BV = 0 over
// every supported component (FXRSTOR of an initial image without XSAVE), then XCR0 = x87|SSE,
// DR0-3 = 0, DR6 = 0xffff0ff0, DR7 = 0x400, CR2 = 0, CR8 = 0.
void ResetSharedCpuState();

}  // namespace pv::arch

#endif  // PV_ARCH_SHARED_CPU_STATE_H_
