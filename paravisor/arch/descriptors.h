// The paravisor's own GDT (with a TSS, which VMX host state requires), IDT and exception stacks.
#ifndef PV_ARCH_DESCRIPTORS_H_
#define PV_ARCH_DESCRIPTORS_H_

#include "lib/types.h"

namespace pv::arch {

constexpr u16 kCodeSelector = 0x08;
constexpr u16 kDataSelector = 0x10;
constexpr u16 kTssSelector = 0x18;

struct DescriptorTableRegister {
  u16 limit;
  u64 base;
} __attribute__((packed));

// Loads the GDT, TSS and IDT. Called once, early, before anything can fault usefully.
void InitDescriptors();

// Installs a DPL0 64-bit interrupt gate (IF cleared on entry) for an external-interrupt vector
// (32..255); the handler runs on the current stack.
void SetInterruptGate(u8 vector, u64 handler);

DescriptorTableRegister CurrentGdtr();
DescriptorTableRegister CurrentIdtr();
u64 TssBase();

}  // namespace pv::arch

#endif  // PV_ARCH_DESCRIPTORS_H_
