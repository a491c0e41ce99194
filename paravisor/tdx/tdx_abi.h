// The TDX module ABI the paravisor uses as an L1 VMM inside a partitioned TD (Intel TDX module
// 1.5 ABI specification; intel/tdx-module src/td_transitions/tdg_vp_enter.c and td_exit.c):
// the TDCALL leaves, TDG.VP.ENTER's inputs and the L2_ENTER_GUEST_STATE buffer, and the exit
// record entry/tdx_l2_enter.asm fills from TDG.VP.ENTER's outputs. Offsets used by the assembly
// are exported by entry/asm_offsets.cpp; every layout assumption is a static_assert here.
#ifndef PV_TDX_TDX_ABI_H_
#define PV_TDX_TDX_ABI_H_

#include <stddef.h>

#include "lib/types.h"
#include "vcpu/run_state.h"

namespace pv::tdx {

// TDCALL leaf numbers (RAX).
namespace leaf {
constexpr u64 kVpVmcall = 0;
constexpr u64 kVpInfo = 1;
constexpr u64 kVmRd = 7;
constexpr u64 kVmWr = 8;
constexpr u64 kVpRd = 9;
constexpr u64 kVpWr = 10;
constexpr u64 kVpEnter = 25;
}  // namespace leaf

// TDG.VP.ENTER RCX ("vm_and_flags"): bits 1:0 the TLB flush the module performs before entry,
// bits 53:52 the L2 VM index (1..3); everything else is reserved and must be 0.
namespace vm_flags {
constexpr u64 kFlushNone = 0;
constexpr u64 kFlushAll = 1;            // INVEPT of the L2 EPT plus INVVPID of the L2 VPID
constexpr u64 kFlushSingleContext = 2;  // INVVPID single context
constexpr u64 kFlushRetainGlobals = 3;  // INVVPID single context, globals retained
constexpr u64 kFlushMask = 3;
constexpr unsigned kVmIndexShift = 52;
constexpr u64 kVmIndexMask = 3ull << kVmIndexShift;
constexpr u64 kReservedMask = ~(kFlushMask | kVmIndexMask);
constexpr u64 Make(unsigned vm_index, u64 flush) {
  return (static_cast<u64>(vm_index) << kVmIndexShift) | (flush & kFlushMask);
}
}  // namespace vm_flags

// TDG.VP.ENTER completion status in RAX bits 63:32 (class and details; 0 = TDX_SUCCESS, which
// for this leaf means "L2 exited to L1 with the VMX exit reason in bits 31:0").
constexpr u64 kStatusMask = 0xffffffff00000000ull;
constexpr u64 kExitReasonMask = 0xffffffffull;
constexpr u64 kStatusSuccess = 0;
// L2_ENTER_GUEST_STATE: 256-byte aligned, in private memory. The module copies the GPRs into the
// L2 vCPU before entry and writes the L2 state back here at the L2 exit.
struct alignas(256) L2EnterGuestState {
  u64 gprs[kGprCount];  // RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15 (x86 register order)
  u64 rflags;
  u64 rip;
  u64 ssp;
  u16 interrupt_status;  // guest interrupt status: RVI in bits 7:0, SVI in bits 15:8
  u8 reserved[6];
};
static_assert(offsetof(L2EnterGuestState, gprs[kRsp]) == 0x20);
static_assert(offsetof(L2EnterGuestState, rflags) == 0x80);
static_assert(offsetof(L2EnterGuestState, rip) == 0x88);
static_assert(offsetof(L2EnterGuestState, ssp) == 0x90);
static_assert(offsetof(L2EnterGuestState, interrupt_status) == 0x98);
static_assert(alignof(L2EnterGuestState) == 256 && sizeof(L2EnterGuestState) == 256);

// TDG.VP.ENTER outputs as entry/tdx_l2_enter.asm stores them (module ABI: RBX, R14, R15 are 0).
struct TdxExitRecord {
  u64 rax;  // status (63:32) | VMX exit reason (31:0)
  u64 rcx;  // exit qualification
  u64 rdx;  // guest linear address
  u64 rsi;  // CS selector (15:0), attributes (31:16), limit (63:32)
  u64 rdi;  // CS base
  u64 r8;   // guest physical address (EPT violation/misconfiguration)
  u64 r9;   // VM-exit interruption information (31:0), error code (63:32)
  u64 r10;  // IDT-vectoring information (31:0), error code (63:32)
  u64 r11;  // VM-exit instruction information (31:0), instruction length (63:32)
  u64 r12;  // extra information (CPL in bits 1:0)
  u64 r13;  // extended exit qualification
};
static_assert(sizeof(TdxExitRecord) == 11 * sizeof(u64));

}  // namespace pv::tdx

#endif  // PV_TDX_TDX_ABI_H_
