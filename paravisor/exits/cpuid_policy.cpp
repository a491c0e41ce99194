#include "exits/cpuid_policy.h"

#include "arch/registers.h"
#include "guest/abi.h"

namespace pv {
namespace {

enum class Action : u8 { kPassthrough, kZero, kMask };

struct Rule {
  u32 leaf;
  Action action;
  // Applied as (host & ~clear) | set, register order EAX, EBX, ECX, EDX.
  u32 clear[4];
  u32 set[4];
};

constexpr u32 kBit(int n) {
  return 1u << n;
}

// Leaf 1: hide VMX, SMX, MONITOR, TSC-deadline and OSXSAVE (recomputed from guest CR4), set the
// hypervisor bit; clear the initial APIC ID (EBX[31:24]): the guest has exactly one vCPU.
// Leaf 0x80000001: hide SVM and SKINIT.
constexpr Rule kRules[] = {
    {0x00000001,
     Action::kMask,
     {0, 0xff000000u, kBit(3) | kBit(5) | kBit(6) | kBit(24) | kBit(27), 0},
     {0, 0, kBit(31), 0}},
    {0x00000005, Action::kZero, {}, {}},  // MONITOR/MWAIT
    {0x0000000a, Action::kZero, {}, {}},  // architectural performance monitoring
    {0x80000001, Action::kMask, {0, 0, kBit(2) | kBit(12), 0}, {}},
    {0x8000000a, Action::kZero, {}, {}},  // SVM features
};

constexpr u32 kMaxBasicLeaf = 0x0d;
constexpr u32 kMaxExtendedLeaf = 0x80000008;

arch::CpuidResult ApplyRule(const Rule& rule, arch::CpuidResult r) {
  if (rule.action == Action::kZero) return {0, 0, 0, 0};
  r.eax = (r.eax & ~rule.clear[0]) | rule.set[0];
  r.ebx = (r.ebx & ~rule.clear[1]) | rule.set[1];
  r.ecx = (r.ecx & ~rule.clear[2]) | rule.set[2];
  r.edx = (r.edx & ~rule.clear[3]) | rule.set[3];
  return r;
}

}  // namespace

arch::CpuidResult GuestCpuid(u32 leaf, u32 subleaf, u64 guest_cr4) {
  if (leaf == kHypervisorLeafBase) {
    return {kHypervisorLeafBase + 1, kHypervisorSignature[0], kHypervisorSignature[1],
            kHypervisorSignature[2]};
  }
  if (leaf == kHypervisorLeafBase + 1) {
    // EAX: guest ABI version; EBX: hypercalls implemented (bit n = hypercall n).
    return {static_cast<u32>(abi::kAbiVersion), 0xf, 0, 0};
  }
  if (leaf >= kHypervisorLeafBase && leaf < 0x80000000) return {0, 0, 0, 0};

  const bool extended = leaf >= 0x80000000;
  const u32 range_base = extended ? 0x80000000 : 0;
  const u32 cap = extended ? kMaxExtendedLeaf : kMaxBasicLeaf;
  u32 host_max = arch::HostCpuid(range_base, 0).eax;
  const u32 guest_max = host_max < cap ? host_max : cap;
  if (leaf > guest_max) return {0, 0, 0, 0};

  arch::CpuidResult r = arch::HostCpuid(leaf, subleaf);
  if (leaf == range_base) r.eax = guest_max;
  for (const Rule& rule : kRules) {
    if (rule.leaf == leaf) r = ApplyRule(rule, r);
  }
  if (leaf == 1 && (guest_cr4 & arch::kCr4Osxsave)) r.ecx |= kBit(27);
  return r;
}

}  // namespace pv
