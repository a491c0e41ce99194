// The stack frame built by entry/trap.asm for every exception.
#ifndef PV_ARCH_TRAP_FRAME_H_
#define PV_ARCH_TRAP_FRAME_H_

#include "lib/types.h"

namespace pv::arch {

struct TrapFrame {
  u64 r15, r14, r13, r12, r11, r10, r9, r8;
  u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
  u64 vector;
  u64 error_code;
  // Pushed by the CPU.
  u64 rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(TrapFrame) == 22 * 8, "entry/trap.asm pushes 15 GPRs + 2 + 5 CPU words");

}  // namespace pv::arch

#endif  // PV_ARCH_TRAP_FRAME_H_
