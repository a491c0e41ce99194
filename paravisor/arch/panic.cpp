// Panic and the exception handler. Both print enough state to debug from a serial log alone
// (vector, error code, CR2, every GPR, a frame-pointer backtrace) and end the run with
// RunResult::kPanic so a test harness sees a distinct exit status.
#include <stdarg.h>

#include "arch/cpu.h"
#include "arch/platform.h"
#include "arch/trap_frame.h"
#include "lib/log.h"
#include "lib/panic.h"

namespace pv {
namespace {

const char* const kVectorNames[32] = {"#DE divide error",
                                      "#DB debug",
                                      "NMI",
                                      "#BP breakpoint",
                                      "#OF overflow",
                                      "#BR bound range",
                                      "#UD invalid opcode",
                                      "#NM device not available",
                                      "#DF double fault",
                                      "coprocessor overrun",
                                      "#TS invalid TSS",
                                      "#NP segment not present",
                                      "#SS stack fault",
                                      "#GP general protection",
                                      "#PF page fault",
                                      "reserved 15",
                                      "#MF x87 error",
                                      "#AC alignment check",
                                      "#MC machine check",
                                      "#XM SIMD error",
                                      "#VE virtualization exception",
                                      "#CP control protection",
                                      "reserved 22",
                                      "reserved 23",
                                      "reserved 24",
                                      "reserved 25",
                                      "reserved 26",
                                      "reserved 27",
                                      "#HV hypervisor injection",
                                      "#VC VMM communication",
                                      "#SX security exception",
                                      "reserved 31"};

// Walks saved RBP chains; bounded so a corrupt chain cannot loop forever.
void PrintBacktrace(u64 rbp) {
  for (int depth = 0; depth < 16 && rbp != 0 && (rbp & 7) == 0 && rbp < (4ull << 30); ++depth) {
    const u64* frame = reinterpret_cast<const u64*>(rbp);
    Log("  #%d return address %016lx", depth, frame[1]);
    rbp = frame[0];
  }
}

[[noreturn]] void Die() {
  Log("PV-RESULT: PANIC");
  arch::EndRun(arch::RunResult::kPanic);
}

}  // namespace

[[noreturn]] void Panic(const char* fmt, ...) {
  char msg[200];
  va_list args;
  va_start(args, fmt);
  FormatV(msg, sizeof(msg), fmt, args);
  va_end(args);
  Log("PANIC: %s", msg);
  PrintBacktrace(reinterpret_cast<u64>(__builtin_frame_address(0)));
  Die();
}

}  // namespace pv

extern "C" [[noreturn]] void pv_on_trap(const pv::arch::TrapFrame* f) {
  using pv::Log;
  const char* name = f->vector < 32 ? pv::kVectorNames[f->vector] : "?";
  Log("PANIC: paravisor exception %lu (%s), error code 0x%lx", f->vector, name, f->error_code);
  Log("  rip %016lx cs %04lx rflags %016lx rsp %016lx ss %04lx cr2 %016lx", f->rip, f->cs,
      f->rflags, f->rsp, f->ss, pv::arch::ReadCr2());
  Log("  rax %016lx rbx %016lx rcx %016lx rdx %016lx", f->rax, f->rbx, f->rcx, f->rdx);
  Log("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx", f->rsi, f->rdi, f->rbp, f->r8);
  Log("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx", f->r9, f->r10, f->r11, f->r12);
  Log("  r13 %016lx r14 %016lx r15 %016lx cr3 %016lx", f->r13, f->r14, f->r15, pv::arch::ReadCr3());
  pv::PrintBacktrace(f->rbp);
  pv::Die();
}
