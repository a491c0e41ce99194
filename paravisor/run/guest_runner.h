// Runs each guest image given at boot (multiboot modules, in order), one after another, each in
// a fresh partition: its own memory, nested (NPT) or extended (EPT) page tables and vCPU (SVM or
// VMX, whichever the CPU has), all released afterwards.
#ifndef PV_RUN_GUEST_RUNNER_H_
#define PV_RUN_GUEST_RUNNER_H_

#include "boot/multiboot.h"
#include "lib/cmdline.h"
#include "lib/status.h"
#include "svm/svm.h"
#include "vcpu/vcpu.h"
#include "vmx/vmx.h"

namespace pv {

// The virtualisation extension this CPU provides, enabled, with what its backend needs.
struct HostVirtualization {
  Backend backend = Backend::kSvm;
  svm::Capabilities svm_caps;
  svm::HostState svm_host;
  vmx::Capabilities vmx_caps;
  vmx::HostState vmx_host;
};

// Enables SVM (AMD: CPUID 8000_0001h:ECX[2]) or else VMX (Intel: CPUID 1:ECX[5]) and logs the
// capabilities; fails if the CPU has neither or the one it has cannot be used.
Status EnableHostVirtualization(HostVirtualization* virt);

struct RunSummary {
  u32 guests = 0;
  u32 as_expected = 0;
};

// RAM per guest from the paravisor command line's `guest_mem=<MiB>` (default 16): a decimal or
// 0x-hex number in 2..1024, rounded up to 2 MiB; anything else is an error naming the option.
Result<u64> GuestMemoryBytes(const Cmdline& cmdline);

RunSummary RunGuests(const boot::BootInfo& boot, u64 mem_bytes, const HostVirtualization& virt);

}  // namespace pv

#endif  // PV_RUN_GUEST_RUNNER_H_
