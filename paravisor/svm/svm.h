// SVM on this CPU: detection, enabling, and the per-CPU host state VMRUN needs.
#ifndef PV_SVM_SVM_H_
#define PV_SVM_SVM_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::svm {

struct Capabilities {
  bool nested_paging = false;
  bool nrip_save = false;  // VMCB next_rip is filled on instruction intercepts
  bool flush_by_asid = false;
  u32 asid_count = 0;
  u32 revision = 0;
};

struct HostState {
  u64 hsave_pa = 0;        // VM_HSAVE_PA: where VMRUN keeps host state
  u64 vmsave_area_pa = 0;  // VMSAVE'd host FS/GS/TR/LDTR/syscall MSRs, VMLOADed after each exit
};

// Checks CPUID and VM_CR, sets EFER.SVME, programs VM_HSAVE_PA, and saves host VMLOAD state.
// Fails with a message that says what the CPU lacks (and which QEMU -cpu flags provide it).
Result<Capabilities> EnableSvm(HostState* host);

}  // namespace pv::svm

#endif  // PV_SVM_SVM_H_
