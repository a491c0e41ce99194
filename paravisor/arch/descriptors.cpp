#include "arch/descriptors.h"

extern "C" const pv::u64 pv_trap_stub_table[32];

namespace pv::arch {
namespace {

struct Tss {
  u32 reserved0;
  u64 rsp[3];
  u64 reserved1;
  u64 ist[7];
  u64 reserved2;
  u16 reserved3;
  u16 iomap_base;
} __attribute__((packed));
static_assert(sizeof(Tss) == 104);

struct IdtGate {
  u16 offset_low;
  u16 selector;
  u8 ist;
  u8 type_attr;
  u16 offset_mid;
  u32 offset_high;
  u32 reserved;
};
static_assert(sizeof(IdtGate) == 16);

constexpr usize kIstStackSize = 16 * 1024;

alignas(16) u64 g_gdt[5];
alignas(16) Tss g_tss;
alignas(16) IdtGate g_idt[256];  // 0..31 exceptions; others absent until installed
alignas(16) u8 g_fault_stack[kIstStackSize];

void SetGate(int vector, u64 handler, u8 ist) {
  IdtGate& g = g_idt[vector];
  g.offset_low = static_cast<u16>(handler);
  g.selector = kCodeSelector;
  g.ist = ist;
  g.type_attr = 0x8e;  // present, DPL0, 64-bit interrupt gate (IF cleared on entry)
  g.offset_mid = static_cast<u16>(handler >> 16);
  g.offset_high = static_cast<u32>(handler >> 32);
  g.reserved = 0;
}

}  // namespace

void InitDescriptors() {
  g_gdt[0] = 0;
  g_gdt[1] = 0x00af9a000000ffffull;  // 0x08: 64-bit code
  g_gdt[2] = 0x00cf92000000ffffull;  // 0x10: data
  // 0x18: 16-byte available 64-bit TSS descriptor.
  const u64 base = reinterpret_cast<u64>(&g_tss);
  const u64 limit = sizeof(Tss) - 1;
  g_gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             ((limit & 0xf0000) << 32) | ((base & 0xff000000ull) << 32);
  g_gdt[4] = base >> 32;

  // Double fault, NMI and machine check run on their own stack, so a corrupted RSP still yields
  // a report instead of a silent triple fault.
  g_tss.ist[0] = reinterpret_cast<u64>(g_fault_stack + kIstStackSize);
  g_tss.iomap_base = sizeof(Tss);

  for (int v = 0; v < 32; ++v) {
    const bool own_stack = v == 2 || v == 8 || v == 18;
    SetGate(v, pv_trap_stub_table[v], own_stack ? 1 : 0);
  }

  DescriptorTableRegister gdtr{sizeof(g_gdt) - 1, reinterpret_cast<u64>(g_gdt)};
  DescriptorTableRegister idtr{sizeof(g_idt) - 1, reinterpret_cast<u64>(g_idt)};
  asm volatile(
      "lgdt %0\n\t"
      // Reload CS with a far return (there is no far jump to an immediate in 64-bit mode).
      "pushq %[cs]\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "movw %[ds], %%ax\n\t"
      "movw %%ax, %%ds\n\t"
      "movw %%ax, %%es\n\t"
      "movw %%ax, %%ss\n\t"
      "ltr %[tr]\n\t"
      "lidt %1"
      :
      : "m"(gdtr),
        "m"(idtr), [cs] "i"(kCodeSelector), [ds] "i"(kDataSelector), [tr] "r"(kTssSelector)
      : "rax", "memory");
}

void SetInterruptGate(u8 vector, u64 handler) {
  if (vector < 32) return;  // exceptions keep their reporting stubs
  SetGate(vector, handler, 0);
}

DescriptorTableRegister CurrentGdtr() {
  DescriptorTableRegister r;
  asm volatile("sgdt %0" : "=m"(r));
  return r;
}

DescriptorTableRegister CurrentIdtr() {
  DescriptorTableRegister r;
  asm volatile("sidt %0" : "=m"(r));
  return r;
}

u64 TssBase() {
  return reinterpret_cast<u64>(&g_tss);
}

}  // namespace pv::arch
