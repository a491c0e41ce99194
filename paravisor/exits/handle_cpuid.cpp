#include "exits/cpuid_policy.h"
#include "exits/handlers.h"

namespace pv {

ExitAction HandleCpuid(Vcpu& vcpu, const Exit&) {
  const u32 leaf = static_cast<u32>(vcpu.gpr(kRax));
  const u32 subleaf = static_cast<u32>(vcpu.gpr(kRcx));
  // Only leaf 1 depends on CR4 (OSXSAVE), so only leaf 1 fetches it.
  arch::CpuidResult r = GuestCpuid(leaf, subleaf, leaf == 1 ? vcpu.cr4() : 0);
  if (vcpu.irq.enabled) r = GuestApicCpuid(leaf, subleaf, r, vcpu.irq.tsc_khz);
  // CPUID writes 32-bit results, which zero-extend into the 64-bit registers.
  vcpu.set_gpr(kRax, r.eax);
  vcpu.set_gpr(kRbx, r.ebx);
  vcpu.set_gpr(kRcx, r.ecx);
  vcpu.set_gpr(kRdx, r.edx);
  return ExitAction::kResumeNext;
}

}  // namespace pv
