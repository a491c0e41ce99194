// VMX on this CPU: detection, VMX operation (VMXON), and the control values derived from the
// capability MSRs that every VMCS of this CPU uses.
#ifndef PV_VMX_VMX_H_
#define PV_VMX_VMX_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::vmx {

// VM-execution, exit and entry controls, each already reconciled with the allowed-0/allowed-1
// settings of the (TRUE_*, where present) capability MSRs.
struct Controls {
  u32 pin = 0;
  u32 proc = 0;
  u32 proc2 = 0;
  u32 exit = 0;
  u32 entry = 0;
  u32 proc_allowed1 = 0;  // for controls switched on later (RDTSC exiting in tests)
};

struct Capabilities {
  u32 revision = 0;  // VMCS revision identifier (VMX_BASIC[30:0])
  bool true_controls = false;
  u64 ept_vpid_cap = 0;
  u64 cr0_fixed0 = 0, cr0_fixed1 = 0, cr4_fixed0 = 0, cr4_fixed1 = 0;
  Controls controls;
  bool preemption_timer = false;  // VMX-preemption timer available (and enabled in `pin`)
  u8 preemption_timer_shift = 0;  // it counts down once every 2^shift TSC ticks
};

struct HostState {
  u64 vmxon_pa = 0;
};

// True if CPUID reports VMX (Intel; Bochs corei7_skylake_x).
bool VmxPresent();

// Reads the capability MSRs, enables VMXON in IA32_FEATURE_CONTROL if it is still unlocked,
// sets the CR0/CR4 bits VMX operation requires (CR4.VMXE, CR0.NE), masks the legacy PIC (the
// paravisor takes only its own APIC tick; no legacy one may be pending while a guest runs) and
// executes VMXON. Fails with a message naming what the CPU lacks.
Result<Capabilities> EnableVmx(HostState* host);

}  // namespace pv::vmx

#endif  // PV_VMX_VMX_H_
