#include "arch/host_cpu.h"

#include "arch/cpu.h"

namespace pv::arch {

CpuidResult HostCpuid(u32 leaf, u32 subleaf) {
  CpuidRegs r = Cpuid(leaf, subleaf);
  return {r.eax, r.ebx, r.ecx, r.edx};
}

u64 HostTsc() {
  return Rdtsc();
}

void HostSetXcr0(u64 value) {
  asm volatile("xsetbv" ::"c"(0), "a"(static_cast<u32>(value)), "d"(static_cast<u32>(value >> 32))
               : "memory");
}

}  // namespace pv::arch
