// The part of a vCPU that the world-switch assembly reads and writes. Its offsets are exported to
// NASM by entry/asm_offsets.cpp at build time (never hand-copied); a layout change the assembly
// does not follow fails the build through the static_asserts there and here.
#ifndef PV_VCPU_RUN_STATE_H_
#define PV_VCPU_RUN_STATE_H_

#include "lib/types.h"

namespace pv {

// Guest GPRs indexed by their x86 encoding, so decoded ModRM/REX register numbers index directly.
enum Gpr : u8 {
  kRax = 0,
  kRcx,
  kRdx,
  kRbx,
  kRsp,
  kRbp,
  kRsi,
  kRdi,
  kR8,
  kR9,
  kR10,
  kR11,
  kR12,
  kR13,
  kR14,
  kR15,
  kGprCount
};

struct VcpuRunState {
  // Guest GPRs. On SVM, RAX and RSP live in the VMCB and on VMX RSP lives in the VMCS; the
  // backends copy them here around each exit so handlers see one register file.
  u64 gprs[kGprCount] = {};

  // Speculation control (IA32_SPEC_CTRL, or the stand-in MSR of the test build).
  u64 guest_spec_ctrl =
      {};                   // the guest's current value; authoritative while writes are intercepted
  u64 host_spec_ctrl = {};  // the value the paravisor runs with
  u8 spec_ctrl_present = {};      // the MSR exists: otherwise the entry code skips all of it
  u8 spec_ctrl_intercepted = {};  // guest writes exit: the entry code need not read the MSR back
  u8 launched = {};               // VMX: VMRESUME (1) or VMLAUNCH (0)
  u8 reserved[5] = {};

  // Physical addresses the entry code needs.
  u64 guest_state_pa = {};  // SVM: the guest VMCB (VMRUN/VMLOAD/VMSAVE operand)
  u64 host_state_pa = {};   // SVM: page holding host state for VMLOAD after #VMEXIT
  u64 host_rsp = {};  // VMX: HOST_RSP last written to the VMCS (written again only if changed)

  // Evidence for tests: how often the entry code touched the SPEC_CTRL MSR. Only the test build
  // (PV_SPEC_CTRL_COUNTERS) increments them; they cost a memory add each on the entry path.
  u64 spec_ctrl_guest_writes = {};  // WRMSR of the guest value before entry
  u64 spec_ctrl_host_writes = {};   // WRMSR of the host value after exit
  u64 spec_ctrl_guest_reads = {};   // RDMSR of the guest value after exit
};

}  // namespace pv

#endif  // PV_VCPU_RUN_STATE_H_
