// The guest registers the exit handlers read and write, and how they are kept: one cache per
// vCPU with an "available" and a "dirty" bit per register (KVM's regs_avail/regs_dirty).
//
// Why: on VMX every guest register outside the GPR block costs a VMREAD to read and a VMWRITE to
// write back, and most exits need two or three of them (a null hypercall: the CPL for the
// privilege check and RIP for the advance). So nothing is read at the exit "just in case":
//
//   - after an exit the backend marks available only what it already holds (the GPRs the world
//     switch saved into VcpuRunState::gprs, plus whatever it had to read to decode the exit
//     anyway, such as RIP for an instruction exit), and clears every dirty bit;
//   - a handler asks through Vcpu's accessors (vcpu.rip(), vcpu.gpr(kRsp), vcpu.paging(), ...);
//     a register not yet available is fetched from the backend once (FillRegisters) and cached
//     until the next exit;
//   - a handler's write (vcpu.set_rip(...), vcpu.set_gpr(...)) updates the cache and marks the
//     register dirty; before the next entry the backend writes back exactly the dirty registers
//     it does not switch itself (the world switch loads every GPR but RSP from gprs anyway).
//
// This is the only way exit handlers touch guest registers, and it is the seam for guests whose
// registers the paravisor cannot see. A backend for an encrypted-state guest (SEV-ES/SNP through
// the GHCB, TDX through TDG.VP.VMCALL) marks nothing available after an exit, and its
// FillRegisters yields only what the guest put in its GHCB (by the GHCB's valid bitmap) and its
// write-back copies the dirty registers into the GHCB's response fields: the handlers do not
// change. The register numbering below is therefore the paravisor's own, not any hardware
// layout; each backend maps it (vmx/vmx_vcpu.cpp, svm/svm_vcpu.cpp).
#ifndef PV_VCPU_REGISTERS_H_
#define PV_VCPU_REGISTERS_H_

#include "lib/types.h"
#include "vcpu/run_state.h"

namespace pv {

// GPRs first, numbered as Gpr (the x86 encoding), then the rest. CR0 and CR4 are the values the
// guest sees (on VMX the read shadows merged in for the bits the host owns); writing them makes
// the backend load the guest's value plus whatever the hardware forces. kCpl is the current
// privilege level (0..3): read only, taken from SS.DPL (VMX) or the VMCB's CPL byte (SVM).
enum class Reg : u8 { kRip = kGprCount, kRflags, kCr0, kCr3, kCr4, kEfer, kPat, kCpl, kCount };

constexpr usize kRegCount = static_cast<usize>(Reg::kCount);
constexpr usize kNonGprRegCount = kRegCount - kGprCount;

// One bit per register, GPRs at their Gpr numbers.
using RegMask = u32;
static_assert(kRegCount <= 32, "RegMask holds one bit per register");

constexpr RegMask RegBit(Reg r) {
  return RegMask{1} << static_cast<u8>(r);
}
constexpr RegMask GprBit(Gpr r) {
  return RegMask{1} << static_cast<u8>(r);
}

constexpr RegMask kAllGprs = (RegMask{1} << kGprCount) - 1;
constexpr RegMask kAllRegs = (RegMask{1} << kRegCount) - 1;
// The GPRs the legacy SVM/VMX world switches save and reload themselves (RSP is the VMCB's or
// the VMCS's): available right after every exit, never written back by the backend.
constexpr RegMask kSwitchedGprs = kAllGprs & ~GprBit(kRsp);
constexpr RegMask kPagingRegs =
    RegBit(Reg::kCr0) | RegBit(Reg::kCr3) | RegBit(Reg::kCr4) | RegBit(Reg::kEfer);

struct RegisterCache {
  u64 values[kNonGprRegCount] = {};  // indexed by Reg - kGprCount; GPRs: VcpuRunState::gprs
  // Every register starts available with value 0, so a vCPU no backend drives (host tests)
  // never fetches; a backend sets these at each exit.
  RegMask available = kAllRegs;
  RegMask dirty = 0;

  u64& value(Reg r) { return values[static_cast<u8>(r) - kGprCount]; }
  u64 value(Reg r) const { return values[static_cast<u8>(r) - kGprCount]; }
};

}  // namespace pv

#endif  // PV_VCPU_REGISTERS_H_
