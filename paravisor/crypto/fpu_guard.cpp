#include "crypto/fpu_guard.h"

namespace pv::crypto {
namespace {

// FXSAVE64 image: 512 bytes, 16-byte aligned.
struct alignas(16) FxsaveArea {
  u8 bytes[512];
};

FxsaveArea g_saved;  // the interrupted (guest's) state while a guard is active
u32 g_depth = 0;
u64 g_entries = 0;

// Default MXCSR (all exceptions masked, round to nearest) and x87 control word: whatever the
// guest configured (unmasked exceptions, flush-to-zero) must not change the crypto's results
// or fault in the paravisor.
constexpr u32 kDefaultMxcsr = 0x1f80;

}  // namespace

FpuGuard::FpuGuard() {
  if (g_depth++ != 0) return;
  ++g_entries;
  // Save first: nothing below may touch an x87/SSE register before the guest's values are out.
  asm volatile("fxsave64 %0" : "=m"(g_saved) : : "memory");
  // FNINIT resets the x87 control/status/tag words; LDMXCSR the SSE control. Both after the
  // save, before any crypto instruction.
  const u32 mxcsr = kDefaultMxcsr;
  asm volatile("fninit\n\tldmxcsr %0" : : "m"(mxcsr) : "memory");
}

FpuGuard::~FpuGuard() {
  if (--g_depth != 0) return;
  // Restores every x87 and XMM register, MXCSR included: the guest sees its own state and
  // nothing the crypto left behind.
  asm volatile("fxrstor64 %0" : : "m"(g_saved) : "memory");
}

u64 FpuGuard::Entries() {
  return g_entries;
}

}  // namespace pv::crypto
