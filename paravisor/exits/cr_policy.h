// Which control-register writes a guest may make: what hardware would accept (otherwise #GP),
// minus the features CPUID hides (VMX, SMX). Used for the writes that exit (VMX: bits in the
// CR0/CR4 guest/host masks); the rest the CPU checks itself.
#ifndef PV_EXITS_CR_POLICY_H_
#define PV_EXITS_CR_POLICY_H_

#include "lib/types.h"

namespace pv {

struct CrContext {
  u64 cr0;  // as the guest sees them
  u64 cr3;
  u64 cr4;
  u64 efer;
  u64 cr4_supported;  // CR4 bits this CPU can set at all (VMX: IA32_VMX_CR4_FIXED1)
};

// True if MOV to CR0 of `value` would complete; false where the CPU raises #GP: bits 63:32,
// NW without CD, PG without PE, clearing PG in long mode (the paravisor keeps guests in long
// mode; the CPU faults when the guest is in 64-bit code), setting PG with LME but not PAE.
bool Cr0WriteAllowed(const CrContext& ctx, u64 value);

// True if MOV to CR4 of `value` would complete: only supported bits, never VMXE or SMXE
// (hidden by CPUID), and in long mode PAE stays set and LA57 does not change; PCIDE only in
// long mode with CR3[11:0] = 0.
bool Cr4WriteAllowed(const CrContext& ctx, u64 value);

}  // namespace pv

#endif  // PV_EXITS_CR_POLICY_H_
