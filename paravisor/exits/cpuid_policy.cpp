#include "exits/cpuid_policy.h"

#include "arch/registers.h"
#include "guest/abi.h"

namespace pv {
namespace {

enum class Action : u8 { kPassthrough, kZero, kMask };

constexpr u32 kAnySubleaf = ~0u;

struct Rule {
  u32 leaf;
  u32 subleaf;  // kAnySubleaf: every subleaf
  Action action;
  // Applied as (host & ~clear) | set, register order EAX, EBX, ECX, EDX.
  u32 clear[4];
  u32 set[4];
};

constexpr u32 kBit(int n) {
  return 1u << n;
}

// The one table of what the guest is told. Every feature left visible has its MSRs handled by
// exits/handle_msr.cpp (TSC, APIC_BASE, SYSENTER, PAT, MTRRcap/MTRRdefType, MCG_CAP/MCG_STATUS,
// EFER, SYSCALL, FS/GS, TSC_AUX) or its instructions executing natively or handled as exits
// (XSETBV); every feature whose MSRs or instructions the paravisor cannot back is cleared here.
// guests/cpuid_walk.asm walks the result on every platform and exercises each visible feature.
//
// Leaf 1 ECX: DTES64 (2), MONITOR (3), DS-CPL (4), VMX (5), SMX (6), EST (7), TM2 (8), xTPR
// (14), PDCM (15), DCA (18), x2APIC (21), TSC-deadline (24), OSXSAVE (27, recomputed from the
// guest's CR4); EBX[31:24] (initial APIC ID: one vCPU). Leaf 1 EDX: DS (21), ACPI (22), TM (29),
// PBE (31). Hypervisor bit set.
constexpr u32 kLeaf1EcxHidden = kBit(2) | kBit(3) | kBit(4) | kBit(5) | kBit(6) | kBit(7) |
                                kBit(8) | kBit(14) | kBit(15) | kBit(18) | kBit(21) | kBit(24) |
                                kBit(27);
constexpr u32 kLeaf1EdxHidden = kBit(21) | kBit(22) | kBit(29) | kBit(31);
// Leaf 7.0 EBX: TSC_ADJUST (1), SGX (2), RTM/HLE (11, 4: their abort state is not switched),
// PQM (12), PQE (15), Intel PT (25). ECX: WAITPKG (5: UMWAIT_CONTROL MSR), SGX_LC (30).
// EDX: ARCH_CAPABILITIES (29) and the CORE_CAPABILITIES (30) MSRs, which are not provided.
constexpr u32 kLeaf7EbxHidden =
    kBit(1) | kBit(2) | kBit(4) | kBit(11) | kBit(12) | kBit(15) | kBit(25);
constexpr u32 kLeaf7EcxHidden = kBit(5) | kBit(30);
constexpr u32 kLeaf7EdxHidden = kBit(29) | kBit(30);
// Leaf 0xD.1 EAX: XSAVES/XRSTORS (3): the IA32_XSS MSR is not provided (VMX would also need
// the XSAVES control); XFD (4).
constexpr u32 kLeafDSub1EaxHidden = kBit(3) | kBit(4);
// Leaf 0x80000001 ECX: SVM (2), SKINIT (12), PerfCtrExtCore (23), PerfCtrExtNB (24),
// PerfCtrExtLLC (28): the PMU is hidden.
constexpr u32 kExt1EcxHidden = kBit(2) | kBit(12) | kBit(23) | kBit(24) | kBit(28);

constexpr Rule kRules[] = {
    {0x00000001,
     kAnySubleaf,
     Action::kMask,
     {0, 0xff000000u, kLeaf1EcxHidden, kLeaf1EdxHidden},
     {0, 0, kBit(31), 0}},
    {0x00000005, kAnySubleaf, Action::kZero, {}, {}},  // MONITOR/MWAIT
    {0x00000006, kAnySubleaf, Action::kZero, {}, {}},  // thermal/power: APERF/MPERF, HWP, ...
    {0x00000007, 0, Action::kMask, {0, kLeaf7EbxHidden, kLeaf7EcxHidden, kLeaf7EdxHidden}, {}},
    {0x0000000a, kAnySubleaf, Action::kZero, {}, {}},  // architectural performance monitoring
    {0x0000000d, 1, Action::kMask, {kLeafDSub1EaxHidden, 0, 0, 0}, {}},
    {0x80000001, kAnySubleaf, Action::kMask, {0, 0, kExt1EcxHidden, 0}, {}},
    {0x8000000a, kAnySubleaf, Action::kZero, {}, {}},  // SVM features
};

// Which leaves have a rule at all, one bit per leaf of each range (basic 0..31, extended
// 0x80000000..0x8000001f), derived from kRules: the other leaves, leaf 0 among them, skip the
// table walk.
constexpr u64 RuleLeafMask(u32 range_base) {
  u64 mask = 0;
  for (const Rule& rule : kRules) {
    if (rule.leaf >= range_base && rule.leaf - range_base < 32)
      mask |= 1ull << (rule.leaf - range_base);
  }
  return mask;
}
constexpr u64 kBasicRuleLeaves = RuleLeafMask(0);
constexpr u64 kExtendedRuleLeaves = RuleLeafMask(0x80000000);
static_assert(
    [] {
      for (const Rule& rule : kRules) {
        const u32 base = rule.leaf >= 0x80000000 ? 0x80000000 : 0;
        if (rule.leaf - base >= 32) return false;
      }
      return true;
    }(),
    "every rule's leaf is covered by a rule-leaf mask");

constexpr u32 kMaxBasicLeaf = 0x0d;
constexpr u32 kMaxExtendedLeaf = 0x80000008;
static_assert(kMaxBasicLeaf < 32 && kMaxExtendedLeaf - 0x80000000 < 32,
              "every leaf the guest sees has a bit in the rule-leaf masks");

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
    return {static_cast<u32>(abi::kAbiVersion), 0x3f, 0, 0};  // 0..5, GET_SECRET included
  }
  if (leaf >= kHypervisorLeafBase && leaf < 0x80000000) return {0, 0, 0, 0};

  const bool extended = leaf >= 0x80000000;
  const u32 range_base = extended ? 0x80000000 : 0;
  const u32 cap = extended ? kMaxExtendedLeaf : kMaxBasicLeaf;
  const u32 host_max = arch::HostCpuidMaxLeaf(range_base);
  const u32 guest_max = host_max < cap ? host_max : cap;
  if (leaf > guest_max) return {0, 0, 0, 0};

  arch::CpuidResult r = arch::HostCpuid(leaf, subleaf);
  if (leaf == range_base) r.eax = guest_max;
  const u64 rule_leaves = extended ? kExtendedRuleLeaves : kBasicRuleLeaves;
  if ((rule_leaves >> (leaf - range_base)) & 1) {  // leaf - range_base <= cap - range_base < 32
    for (const Rule& rule : kRules) {
      if (rule.leaf == leaf && (rule.subleaf == kAnySubleaf || rule.subleaf == subleaf))
        r = ApplyRule(rule, r);
    }
  }
  if (leaf == 1 && (guest_cr4 & arch::kCr4Osxsave)) r.ecx |= kBit(27);
  return r;
}

}  // namespace pv
