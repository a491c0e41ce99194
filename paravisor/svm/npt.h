// Nested page tables: the guest's view of physical memory. GPA [0, size) maps to the guest's
// host range with 2 MiB pages; nothing else is mapped, so any other guest-physical access ends
// in a nested page fault — the guest can never reach paravisor memory or another guest's.
#ifndef PV_SVM_NPT_H_
#define PV_SVM_NPT_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::svm {

struct NestedPageTables {
  u64 root_pa = 0;  // nCR3
  u64 pdpt_pa = 0;
  u64 pd_pa = 0;
};

// `host_pa` and `size` must be 2 MiB aligned and size <= 1 GiB.
Result<NestedPageTables> BuildNestedPageTables(u64 host_pa, u64 size);
void FreeNestedPageTables(const NestedPageTables& npt);

}  // namespace pv::svm

#endif  // PV_SVM_NPT_H_
