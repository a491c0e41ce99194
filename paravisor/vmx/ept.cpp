#include "vmx/ept.h"

#include "mm/page_alloc.h"

namespace pv::vmx {
namespace {

constexpr u64 kEptRwx = 0x7;                  // read, write, execute (supervisor)
constexpr u64 kEptLeafWriteBack = 6ull << 3;  // memory type of a leaf
constexpr u64 kEptLarge = 1ull << 7;
constexpr u64 kEptpWriteBack = 6;      // paging-structure memory type
constexpr u64 kEptpWalk4 = 3ull << 3;  // walk length - 1

}  // namespace

Result<ExtendedPageTables> BuildExtendedPageTables(u64 host_pa, u64 size) {
  if (!IsAligned(host_pa, kLargePageSize) || !IsAligned(size, kLargePageSize) || size == 0 ||
      size > (1ull << 30)) {
    return Status(Err::kInvalidArgument, "ept: guest memory must be 2 MiB aligned, 2 MiB..1 GiB");
  }
  ExtendedPageTables ept;
  PV_TRY_ASSIGN(ept.pml4_pa, mm::AllocPages(1));
  auto pdpt = mm::AllocPages(1);
  auto pd = mm::AllocPages(1);
  if (!pdpt.ok() || !pd.ok()) {
    mm::FreePages(ept.pml4_pa, 1);
    if (pdpt.ok()) mm::FreePages(pdpt.value(), 1);
    return Status(Err::kNoMemory, "ept: no memory for extended page tables");
  }
  ept.pdpt_pa = pdpt.value();
  ept.pd_pa = pd.value();
  mm::PhysToVirt<u64>(ept.pml4_pa)[0] = ept.pdpt_pa | kEptRwx;
  mm::PhysToVirt<u64>(ept.pdpt_pa)[0] = ept.pd_pa | kEptRwx;
  u64* pde = mm::PhysToVirt<u64>(ept.pd_pa);
  for (u64 i = 0; i < size / kLargePageSize; ++i)
    pde[i] = (host_pa + i * kLargePageSize) | kEptLarge | kEptLeafWriteBack | kEptRwx;
  ept.eptp = ept.pml4_pa | kEptpWalk4 | kEptpWriteBack;
  return ept;
}

void FreeExtendedPageTables(const ExtendedPageTables& ept) {
  if (ept.pml4_pa) mm::FreePages(ept.pml4_pa, 1);
  if (ept.pdpt_pa) mm::FreePages(ept.pdpt_pa, 1);
  if (ept.pd_pa) mm::FreePages(ept.pd_pa, 1);
}

}  // namespace pv::vmx
