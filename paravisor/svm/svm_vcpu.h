// One SVM vCPU: its VMCB, I/O and MSR permission maps, nested page tables, and the run loop that
// alternates world switches with exit dispatch.
#ifndef PV_SVM_SVM_VCPU_H_
#define PV_SVM_SVM_VCPU_H_

#include "exits/exit.h"
#include "guest/boot_state.h"
#include "lib/status.h"
#include "svm/npt.h"
#include "svm/svm.h"
#include "svm/svm_exit.h"
#include "svm/vmcb.h"
#include "vcpu/vcpu.h"

extern "C" void pv_svm_run(pv::VcpuRunState* run);

namespace pv::svm {

struct SvmVcpu {
  Vmcb* vmcb = nullptr;
  u64 vmcb_pa = 0;
  u64 iopm_pa = 0;   // 3 pages
  u64 msrpm_pa = 0;  // 2 pages
  NestedPageTables npt;
  bool nrip_save = false;
};

Status SetupSvmVcpu(Vcpu& vcpu, SvmVcpu& svm, const Capabilities& caps, const HostState& host,
                    const GuestEntryState& entry);
void TeardownSvmVcpu(SvmVcpu& svm);

// Runs the guest until a handler stops it (vcpu.stop says why).
void RunSvmVcpu(Vcpu& vcpu);

// Reads the `missing` registers (vcpu/registers.h) from the vCPU's VMCB into vcpu.regs (through
// FillRegisters, which marks them available).
void ReadGuestRegisters(Vcpu& vcpu, RegMask missing);

void SetMsrIntercept(SvmVcpu& svm, u32 msr, bool read, bool write);

// Before each entry: injects the guest's pending interrupt, or requests an interrupt-window exit
// (svm/svm_interrupts.cpp). Nothing for guests without interrupt controllers.
void PrepareSvmInterrupt(Vcpu& vcpu, Vmcb& vmcb);

// Benchmark baseline: `count` bare VMRUN/#VMEXIT round trips with the guest at `rip` executing
// a 3-byte VMMCALL in a loop. Only RIP is advanced; no decode, no dispatch. Returns TSC ticks.
u64 BareRoundTrips(Vcpu& vcpu, u64 rip, u64 count);

}  // namespace pv::svm

#endif  // PV_SVM_SVM_VCPU_H_
