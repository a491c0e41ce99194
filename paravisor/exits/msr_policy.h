// The MSRs a guest may access through intercepted RDMSR/WRMSR. The list is an allow-list:
// everything else raises #GP in the guest, as it would for an MSR the CPU does not implement.
// MSRs the world switch context-switches itself (FS/GS bases, SYSCALL and SYSENTER MSRs, via
// VMLOAD/VMSAVE or the VMCS) are not intercepted at all and do not appear here.
#ifndef PV_EXITS_MSR_POLICY_H_
#define PV_EXITS_MSR_POLICY_H_

#include "lib/types.h"

namespace pv {

// The MSR the entry code treats as SPEC_CTRL: IA32_SPEC_CTRL (0x48) in the production image,
// TSC_AUX (0xc0000103) in the test image, where the emulators implement it but not SPEC_CTRL.
// Defined by the build (PV_SPEC_CTRL_MSR), the same value the assembly is built with.
#ifndef PV_SPEC_CTRL_MSR
#error "PV_SPEC_CTRL_MSR must be defined by the build"
#endif
constexpr u32 kSpecCtrlMsr = PV_SPEC_CTRL_MSR;

// MSRs passed through without interception: they are context-switched by VMLOAD/VMSAVE (SVM).
// TSC_AUX (RDTSCP's value, 0xc0000103) belongs to the guest too: no world switch uses it, so it
// is passed through and zeroed for every new guest by each backend's setup. In the test image
// it is the SPEC_CTRL stand-in instead, handled by the entry code.
constexpr u32 kMsrTscAux = 0xc0000103;
constexpr bool kTscAuxIsGuestOwned = PV_SPEC_CTRL_MSR != kMsrTscAux;

constexpr u32 kPassthroughMsrs[] = {
    0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,  // STAR, LSTAR, CSTAR, SFMASK
    0xc0000100, 0xc0000101, 0xc0000102,              // FS_BASE, GS_BASE, KERNEL_GS_BASE
    0x174,      0x175,      0x176,                   // SYSENTER_CS/ESP/EIP
};

}  // namespace pv

#endif  // PV_EXITS_MSR_POLICY_H_
