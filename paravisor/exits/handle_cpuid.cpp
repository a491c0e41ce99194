#include "exits/cpuid_policy.h"
#include "exits/handlers.h"

namespace pv {

ExitAction HandleCpuid(Vcpu& vcpu, const Exit&) {
  const u32 leaf = static_cast<u32>(vcpu.gpr(kRax));
  const u32 subleaf = static_cast<u32>(vcpu.gpr(kRcx));
  arch::CpuidResult r = GuestCpuid(leaf, subleaf, vcpu.paging.cr4);
  if (vcpu.irq.enabled) r = GuestApicCpuid(leaf, subleaf, r, vcpu.irq.tsc_khz);
  // CPUID writes 32-bit results, which zero-extend into the 64-bit registers.
  vcpu.gpr(kRax) = r.eax;
  vcpu.gpr(kRbx) = r.ebx;
  vcpu.gpr(kRcx) = r.ecx;
  vcpu.gpr(kRdx) = r.edx;
  return ExitAction::kResumeNext;
}

}  // namespace pv
