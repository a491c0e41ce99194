// Extended page tables: the guest's view of physical memory under VMX. GPA [0, size) maps to the
// guest's host range with 2 MiB write-back pages; nothing else is mapped, so any other
// guest-physical access is an EPT violation -- the guest never reaches paravisor memory or
// another guest's. The VMX counterpart of svm/npt.h.
#ifndef PV_VMX_EPT_H_
#define PV_VMX_EPT_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::vmx {

struct ExtendedPageTables {
  u64 pml4_pa = 0;
  u64 pdpt_pa = 0;
  u64 pd_pa = 0;
  u64 eptp = 0;  // the VMCS EPT pointer: PML4, 4-level walk, write-back
};

// `host_pa` and `size` must be 2 MiB aligned and size <= 1 GiB.
Result<ExtendedPageTables> BuildExtendedPageTables(u64 host_pa, u64 size);
void FreeExtendedPageTables(const ExtendedPageTables& ept);

}  // namespace pv::vmx

#endif  // PV_VMX_EPT_H_
