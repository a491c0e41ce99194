#include "tdx/tdx_partition.h"

#include "arch/cpu.h"

namespace pv::tdx {
namespace {

constexpr u32 kLeafTdx = 0x21;

}  // namespace

bool RunningInTd() {
  const u32 max = arch::Cpuid(0).eax;
  if (max < kLeafTdx) return false;
  const arch::CpuidRegs r = arch::Cpuid(kLeafTdx, 0);
  return IsTdxGuestCpuid(max, r.ebx, r.ecx, r.edx);
}

void ResetSharedL1State() {
  constexpr u32 kShared[] = {0xc0000102 /* KERNEL_GS_BASE */, 0xc0000081 /* STAR */,
                             0xc0000082 /* LSTAR */, 0xc0000084 /* SFMASK */,
                             0xc0000103 /* TSC_AUX */};
  for (const u32 msr : kShared) arch::Wrmsr(msr, 0);
  // XSS stays as the module set it up for the TD (the paravisor enables no supervisor state);
  // CR2 is rewritten by the next page fault and read by nobody before that.
}

u64 EnterL2Once(VcpuRunState& run, TdxL2Vcpu& vcpu, u64 flush) {
  run.guest_state_pa = vcpu.state_gpa;
  return pv_tdx_l2_enter(&run, vm_flags::Make(vcpu.vm_index, flush), &vcpu.exit);
}
}  // namespace pv::tdx
