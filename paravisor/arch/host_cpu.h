// The CPU facts exit handlers need, behind plain functions: the firmware implements them with the
// real instructions (arch/host_cpu.cpp); host unit tests link map-backed fakes instead
// (tests/paravisor/fake_host_cpu.cpp). Keeping this seam small is what lets every handler run
// unchanged on the host.
#ifndef PV_ARCH_HOST_CPU_H_
#define PV_ARCH_HOST_CPU_H_

#include "lib/types.h"

namespace pv::arch {

struct CpuidResult {
  u32 eax, ebx, ecx, edx;
};

// CPUID as the physical (or emulated) CPU under the paravisor reports it.
CpuidResult HostCpuid(u32 leaf, u32 subleaf);

// The highest leaf of the CPUID range starting at `range_base` (0 or 0x80000000): EAX of that
// base leaf. The firmware reads each once (they never change while it runs), so a CPUID exit
// costs one host CPUID, not two.
u32 HostCpuidMaxLeaf(u32 range_base);

// The time-stamp counter of the CPU the paravisor runs on.
u64 HostTsc();

// Loads XCR0 (XSETBV with ECX = 0). The caller has validated the value; XCR0 is not switched
// by any world switch, so what is loaded here is what the guest runs with.
void HostSetXcr0(u64 value);

}  // namespace pv::arch

#endif  // PV_ARCH_HOST_CPU_H_
