#include "arch/host_cpu.h"

#include "arch/cpu.h"

namespace pv::arch {

CpuidResult HostCpuid(u32 leaf, u32 subleaf) {
  CpuidRegs r = Cpuid(leaf, subleaf);
  return {r.eax, r.ebx, r.ecx, r.edx};
}

u32 HostCpuidMaxLeaf(u32 range_base) {
  // 0 = not read yet (a real CPU reports at least its base leaf). One CPU, and the exit path
  // runs with interrupts off: no locking.
  static u32 max_leaf[2] = {};
  u32& cached = max_leaf[range_base != 0 ? 1 : 0];
  if (cached == 0) cached = Cpuid(range_base, 0).eax;
  return cached;
}

u64 HostTsc() {
  return Rdtsc();
}

void HostSetXcr0(u64 value) {
  asm volatile("xsetbv" ::"c"(0), "a"(static_cast<u32>(value)), "d"(static_cast<u32>(value >> 32))
               : "memory");
}

}  // namespace pv::arch
