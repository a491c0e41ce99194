// Thin wrappers over x86 instructions for the firmware. Each is one instruction with the
// constraints that make the compiler treat it as touching memory where it must ("memory"
// clobber on anything that changes translation or ordering). Not used by code that host unit
// tests compile: exit handlers reach the CPU only through arch/host_cpu.h.
#ifndef PV_ARCH_CPU_H_
#define PV_ARCH_CPU_H_

#include "arch/registers.h"
#include "lib/types.h"

namespace pv::arch {

struct CpuidRegs {
  u32 eax, ebx, ecx, edx;
};

inline CpuidRegs Cpuid(u32 leaf, u32 subleaf = 0) {
  CpuidRegs r;
  asm volatile("cpuid"
               : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
               : "a"(leaf), "c"(subleaf));
  return r;
}

inline u64 Rdmsr(u32 msr) {
  u32 lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (static_cast<u64>(hi) << 32) | lo;
}

inline void Wrmsr(u32 msr, u64 value) {
  asm volatile("wrmsr" ::"c"(msr), "a"(static_cast<u32>(value)), "d"(static_cast<u32>(value >> 32))
               : "memory");
}

inline u64 Rdtsc() {
  u32 lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<u64>(hi) << 32) | lo;
}

inline void Outb(u16 port, u8 v) {
  asm volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
inline void Outw(u16 port, u16 v) {
  asm volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
inline void Outl(u16 port, u32 v) {
  asm volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
inline u8 Inb(u16 port) {
  u8 v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline u32 Inl(u16 port) {
  u32 v;
  asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

inline u64 ReadCr0() {
  u64 v;
  asm volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}
inline u64 ReadCr2() {
  u64 v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}
inline u64 ReadCr3() {
  u64 v;
  asm volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}
inline u64 ReadCr4() {
  u64 v;
  asm volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}
inline void WriteCr0(u64 v) {
  asm volatile("mov %0, %%cr0" ::"r"(v) : "memory");
}
inline void WriteCr3(u64 v) {
  asm volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}
inline void WriteCr4(u64 v) {
  asm volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}

inline u64 ReadRflags() {
  u64 v;
  asm volatile("pushfq; popq %0" : "=r"(v));
  return v;
}

[[noreturn]] inline void HaltForever() {
  for (;;) asm volatile("cli; hlt");
}

}  // namespace pv::arch

#endif  // PV_ARCH_CPU_H_
