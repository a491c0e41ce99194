// XSETBV: the guest chooses its XCR0. XCR0 is not switched by VMRUN or VM entry, so the value
// is checked here against what the guest's CPUID leaf 0xD reports (the one CPUID table decides
// which state components exist) and against the architecture's combination rules, then loaded
// into the CPU, where it stays while the guest runs. Anything the CPU would refuse raises #GP.
#include "arch/host_cpu.h"
#include "arch/registers.h"
#include "exits/cpuid_policy.h"
#include "exits/handlers.h"

namespace pv {
namespace {

using arch::kXcr0Avx;
using arch::kXcr0Avx512;
using arch::kXcr0BndCsr;
using arch::kXcr0BndRegs;
using arch::kXcr0Sse;
using arch::kXcr0TileCfg;
using arch::kXcr0TileData;
using arch::kXcr0X87;

// SDM vol. 1, 13.3 and the XSETBV reference: x87 always on; AVX needs SSE; the three AVX-512
// components go together and need AVX; MPX's two components go together; AMX likewise.
bool ValidXcr0(u64 value, u64 supported) {
  if ((value & ~supported) != 0 || (value & kXcr0X87) == 0) return false;
  if ((value & kXcr0Avx) && !(value & kXcr0Sse)) return false;
  const u64 avx512 = value & kXcr0Avx512;
  if (avx512 != 0 && (avx512 != kXcr0Avx512 || !(value & kXcr0Avx))) return false;
  const u64 mpx = value & (kXcr0BndRegs | kXcr0BndCsr);
  if (mpx != 0 && mpx != (kXcr0BndRegs | kXcr0BndCsr)) return false;
  const u64 amx = value & (kXcr0TileCfg | kXcr0TileData);
  if (amx != 0 && amx != (kXcr0TileCfg | kXcr0TileData)) return false;
  return true;
}

}  // namespace

ExitAction HandleXsetbv(Vcpu& vcpu, const Exit&) {
  const u32 index = static_cast<u32>(vcpu.gpr(kRcx));
  const u64 value = (vcpu.gpr(kRdx) << 32) | (vcpu.gpr(kRax) & 0xffffffffull);
  const arch::CpuidResult leaf = GuestCpuid(0xd, 0, vcpu.cr4());
  const u64 supported = (static_cast<u64>(leaf.edx) << 32) | leaf.eax;
  // The CPU checks CR4.OSXSAVE (#UD) before the intercept; CPL and the value are ours to check.
  if (vcpu.cpl() != 0 || index != 0 || !ValidXcr0(value, supported)) {
    vcpu.InjectException(kVectorGp, true, 0);
    return ExitAction::kResumeSame;
  }
  arch::HostSetXcr0(value);
  vcpu.xcr0 = value;
  return ExitAction::kResumeNext;
}

}  // namespace pv
