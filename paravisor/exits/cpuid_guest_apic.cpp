#include "exits/cpuid_policy.h"

namespace pv {
namespace {

constexpr u32 kLeaf1EcxX2apic = 1u << 21, kLeaf1EcxTscDeadline = 1u << 24;
constexpr u32 kLeaf6EaxArat = 1u << 2;

}  // namespace

arch::CpuidResult GuestApicCpuid(u32 leaf, u32, arch::CpuidResult r, u32 tsc_khz) {
  switch (leaf) {
    case 1:
      r.ecx |= kLeaf1EcxX2apic | kLeaf1EcxTscDeadline;
      break;
    case 6:
      r.eax |= kLeaf6EaxArat;  // the policy zeroes the rest of leaf 6
      break;
    case kHypervisorLeafBase:
      r.eax = kHypervisorTimingLeaf;
      break;
    case kHypervisorTimingLeaf:
      // The model's timer input clock is the TSC (apic/local_apic.h).
      r = {tsc_khz, tsc_khz, 0, 0};
      break;
    default:
      break;
  }
  return r;
}

}  // namespace pv
