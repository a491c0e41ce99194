// One VMX vCPU: its VMCS, I/O and MSR bitmaps, extended page tables, and the run loop that
// alternates world switches (entry/vmx_run.asm) with the shared exit dispatcher.
#ifndef PV_VMX_VMX_VCPU_H_
#define PV_VMX_VMX_VCPU_H_

#include "guest/boot_state.h"
#include "lib/cmdline.h"
#include "lib/status.h"
#include "vcpu/vcpu.h"
#include "vmx/ept.h"
#include "vmx/vmx.h"

extern "C" {
int pv_vmx_run(pv::VcpuRunState* run);  // 0 = VM exit, 1 = VMfailValid, 2 = VMfailInvalid
void pv_vmx_exit_label();               // HOST_RIP; never called
}

namespace pv::vmx {

struct VmxVcpu {
  u64 vmcs_pa = 0;
  u64 io_bitmaps_pa = 0;  // A and B, 2 pages
  u64 msr_bitmap_pa = 0;  // 1 page
  ExtendedPageTables ept;
  Controls controls;
  u64 cr0_guest_owned_mask = 0;  // guest/host masks: bits whose writes exit (despite the name)
  u64 cr4_guest_owned_mask = 0;
  u64 cr0_fixed0 = 0, cr0_fixed1 = 0, cr4_fixed0 = 0, cr4_fixed1 = 0;
  bool interrupt_window = false;  // interrupt-window exiting is on (vmx/vmx_interrupts.cpp)
};

// Builds the VMCS and makes it current (one vCPU runs at a time on this CPU).
Status SetupVmxVcpu(Vcpu& vcpu, VmxVcpu& vmx, const Capabilities& caps,
                    const GuestEntryState& entry);
void TeardownVmxVcpu(Vcpu& vcpu, VmxVcpu& vmx);

// Runs the guest until a handler stops it (vcpu.stop says why).
void RunVmxVcpu(Vcpu& vcpu);

// Reads the `missing` registers (vcpu/registers.h) from the current VMCS into vcpu.regs
// (through FillRegisters, which marks them available).
void ReadGuestRegisters(Vcpu& vcpu, RegMask missing);

void SetMsrIntercept(VmxVcpu& vmx, u32 msr, bool read, bool write);

// Before each entry: injects the guest's pending interrupt, or turns on interrupt-window
// exiting until it can (vmx/vmx_interrupts.cpp). Nothing for guests without interrupt
// controllers.
void PrepareVmxInterrupt(Vcpu& vcpu, VmxVcpu& vmx);
void InterceptRdtsc(VmxVcpu& vmx);

// Benchmark baseline: `count` bare VMRESUME/VMCALL round trips with the guest at `rip` executing
// a 3-byte VMCALL in a loop. Only GUEST_RIP is rewritten; no decode, no dispatch. TSC ticks.
u64 BareRoundTrips(Vcpu& vcpu, u64 rip, u64 count);

#ifdef PV_TEST_BUILD
// Test image only: corrupts the VMCS so the next entry fails, per the guest's `vmx_fault=`:
//   host     HOST_TR_SELECTOR = 0        -> VMfailValid, error 8 (invalid host state)
//   control  EPT pointer walk length 1   -> VMfailValid, error 7 (invalid control field)
//   guest    guest CS access rights 0    -> VM-entry failure exit, reason 33 | bit 31
// Returns false for an unknown kind.
bool ApplyTestFault(VmxVcpu& vmx, StrView kind);
#endif

}  // namespace pv::vmx

#endif  // PV_VMX_VMX_VCPU_H_
