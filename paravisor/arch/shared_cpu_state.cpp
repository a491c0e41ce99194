#include "arch/shared_cpu_state.h"

#include "arch/cpu.h"
#include "arch/host_cpu.h"
#include "arch/registers.h"

namespace pv::arch {
namespace {

constexpr u32 kCpuid1EcxXsave = 1u << 26;
constexpr u32 kMxcsrInitial = 0x1f80;  // all exceptions masked, round to nearest
constexpr u16 kFcwInitial = 0x037f;    // FNINIT's control word
constexpr u64 kDr6Initial = 0xffff0ff0;
constexpr u64 kDr7Initial = 0x400;

// The legacy (FXSAVE) region plus the XSAVE header. Every byte not set here is zero: FSW 0,
// abridged FTW 0 (all registers empty), ST0-7 and XMM0-15 zero; XSTATE_BV = XCOMP_BV = 0 in the
// header (offset 512), so XRSTOR puts every component into its initial configuration and reads
// nothing but the header and MXCSR (SDM vol. 1, 13.8.1).
struct alignas(64) InitialImage {
  u16 fcw;
  u8 legacy_rest[22];
  u32 mxcsr;
  u32 mxcsr_mask;  // ignored by FXRSTOR/XRSTOR
  u8 legacy_tail[512 - 32];
  u8 xsave_header[64];
};
static_assert(sizeof(InitialImage) == 576);

const InitialImage g_initial_image = {kFcwInitial, {}, kMxcsrInitial, 0, {}, {}};

u64 g_xcr0_supported = 0;

}  // namespace

void EnableExtendedStateControl() {
  u64 cr4 = ReadCr4() | kCr4Osfxsr | kCr4Osxmmexcpt;
  if (Cpuid(1).ecx & kCpuid1EcxXsave) {
    cr4 |= kCr4Osxsave;
    const CpuidRegs xsave = Cpuid(0xd, 0);
    g_xcr0_supported = (static_cast<u64>(xsave.edx) << 32) | xsave.eax;
  }
  WriteCr4(cr4);
}

u64 HostXcr0Supported() {
  return g_xcr0_supported;
}

void ResetSharedCpuState() {
  if (g_xcr0_supported != 0) {
    // XRSTOR initialises only the components in RFBM = EDX:EAX & XCR0, so XCR0 first enables
    // every component the CPU has (a valid value by definition), then all of them are reset,
    // then XCR0 goes to the guests' initial x87|SSE.
    HostSetXcr0(g_xcr0_supported);
    asm volatile("xrstor64 %0" ::"m"(g_initial_image), "a"(~0u), "d"(~0u) : "memory");
    HostSetXcr0(kXcr0GuestInitial & g_xcr0_supported);
  } else {
    asm volatile("fxrstor64 %0" ::"m"(g_initial_image) : "memory");
  }
  // Debug registers: no breakpoint armed, no status left. DR7 is also in the VMCB/VMCS, but a
  // guest running with DR7 loaded from there must not find a predecessor's addresses in DR0-3.
  const u64 zero = 0;
  asm volatile("mov %0, %%dr0\n\tmov %0, %%dr1\n\tmov %0, %%dr2\n\tmov %0, %%dr3" ::"r"(zero));
  asm volatile("mov %0, %%dr6" ::"r"(kDr6Initial));
  asm volatile("mov %0, %%dr7" ::"r"(kDr7Initial));
  // CR2 (the last page-fault address) and CR8 (the task priority): VMX does not switch either.
  asm volatile("mov %0, %%cr2\n\tmov %0, %%cr8" ::"r"(zero) : "memory");
}

}  // namespace pv::arch
