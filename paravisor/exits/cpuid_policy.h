// What CPUID tells the guest: the host's answer filtered through a policy table. Features the
// paravisor cannot back (nested virtualisation, MONITOR/MWAIT, the TSC-deadline timer, SVM/VMX
// feature leaves, performance monitoring) are hidden; the hypervisor bit and the paravisor's own
// leaves (0x40000000..) are added. Unlisted leaves inside the reported ranges pass through;
// leaves beyond them read as zero.
#ifndef PV_EXITS_CPUID_POLICY_H_
#define PV_EXITS_CPUID_POLICY_H_

#include "arch/host_cpu.h"
#include "lib/types.h"

namespace pv {

constexpr u32 kHypervisorLeafBase = 0x40000000;
// "PvParavisor!" as EBX, ECX, EDX of leaf 0x40000000.
constexpr u32 kHypervisorSignature[3] = {0x61507650, 0x69766172, 0x21726f73};

// `guest_cr4` lets the OSXSAVE bit reflect the guest's own CR4, as hardware does.
arch::CpuidResult GuestCpuid(u32 leaf, u32 subleaf, u64 guest_cr4);

// For a guest with the emulated local APIC (Linux guests, exits/cpuid_guest_apic.cpp), what the
// APIC model backs on top of GuestCpuid: x2APIC, the TSC-deadline timer, ARAT (the APIC timer
// keeps running in every state), and the timing leaf 0x40000010 (EAX = TSC kHz, EBX = APIC timer
// kHz, the convention of VMware and KVM). `tsc_khz` is the paravisor's measured TSC rate.
constexpr u32 kHypervisorTimingLeaf = 0x40000010;
arch::CpuidResult GuestApicCpuid(u32 leaf, u32 subleaf, arch::CpuidResult r, u32 tsc_khz);

}  // namespace pv

#endif  // PV_EXITS_CPUID_POLICY_H_
