// The TDX-partitioning backend: the paravisor as the L1 VMM of a partitioned TD, running a guest
// as an L2 VM through TDG.VP.ENTER (entry/tdx_l2_enter.asm). Detection (CPUID leaf 0x21), the
// per-vCPU L2 state buffer and exit record, one world switch, and the decoding of its outputs
// into the existing exit model (the L2 exit is a VMX exit: same reasons, same decoder).
// Built into the production image; on the emulators (no TDX module) only the hardware-model
// tests run the switch, and the boot log says the hardware is absent.
#ifndef PV_TDX_TDX_PARTITION_H_
#define PV_TDX_TDX_PARTITION_H_

#include "exits/exit.h"
#include "lib/types.h"
#include "tdx/tdx_abi.h"
#include "vcpu/run_state.h"

extern "C" pv::u64 pv_tdx_l2_enter(pv::VcpuRunState* run, pv::u64 vm_flags,
                                   pv::tdx::TdxExitRecord* exit);

namespace pv::tdx {

// CPUID leaf 0x21 subleaf 0 answers "IntelTDX    " (EBX, EDX, ECX) inside a TD (TDX module
// ABI, "TDX guest detection"). Portable: the tests feed it register values.
bool IsTdxGuestCpuid(u32 max_leaf, u32 ebx, u32 ecx, u32 edx);
bool RunningInTd();

struct TdxL2Vcpu {
  L2EnterGuestState* state = nullptr;  // 256-byte aligned, private memory
  u64 state_gpa = 0;
  unsigned vm_index = 1;  // 1..3: the L2 VM this vCPU belongs to
  TdxExitRecord exit{};
};

// The L1 MSRs the module leaves as L2 had them (KERNEL_GS_BASE, STAR, LSTAR, SFMASK, XSS, CR2,
// TSC_AUX). The paravisor uses none of them, so L2 owns them; each new guest starts with 0.
void ResetSharedL1State();

// One TDG.VP.ENTER with `flush` (vm_flags::kFlush*). Returns the module's RAX; the outputs are in
// vcpu.exit and the L2 state in *vcpu.state.
u64 EnterL2Once(VcpuRunState& run, TdxL2Vcpu& vcpu, u64 flush);

// TDG.VP.ENTER's outputs as an Exit of the common model. A status other than TDX_SUCCESS is an
// entry failure (raw_code = the status); otherwise the low half is a VMX exit reason, decoded
// by vmx::DecodeVmxExit with the module's outputs as the exit information and the L2 RIP/RCX
// from the state buffer.
Exit DecodeTdxExit(const TdxExitRecord& exit, const L2EnterGuestState& state);

}  // namespace pv::tdx

#endif  // PV_TDX_TDX_PARTITION_H_
