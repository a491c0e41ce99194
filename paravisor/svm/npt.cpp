#include "svm/npt.h"

#include "mm/page_alloc.h"

namespace pv::svm {
namespace {

// Nested page walks are user-mode accesses: every level needs U/S as well as P and R/W.
constexpr u64 kNptTable = 0x7;         // P | RW | US
constexpr u64 kNptLarge = 0x7 | 0x80;  // P | RW | US | PS

}  // namespace

Result<NestedPageTables> BuildNestedPageTables(u64 host_pa, u64 size) {
  if (!IsAligned(host_pa, kLargePageSize) || !IsAligned(size, kLargePageSize) || size == 0 ||
      size > (1ull << 30)) {
    return Status(Err::kInvalidArgument, "npt: guest memory must be 2 MiB aligned, 2 MiB..1 GiB");
  }
  NestedPageTables npt;
  PV_TRY_ASSIGN(npt.root_pa, mm::AllocPages(1));
  auto pdpt = mm::AllocPages(1);
  auto pd = mm::AllocPages(1);
  if (!pdpt.ok() || !pd.ok()) {
    mm::FreePages(npt.root_pa, 1);
    if (pdpt.ok()) mm::FreePages(pdpt.value(), 1);
    return Status(Err::kNoMemory, "npt: no memory for nested page tables");
  }
  npt.pdpt_pa = pdpt.value();
  npt.pd_pa = pd.value();
  mm::PhysToVirt<u64>(npt.root_pa)[0] = npt.pdpt_pa | kNptTable;
  mm::PhysToVirt<u64>(npt.pdpt_pa)[0] = npt.pd_pa | kNptTable;
  u64* pde = mm::PhysToVirt<u64>(npt.pd_pa);
  for (u64 i = 0; i < size / kLargePageSize; ++i)
    pde[i] = (host_pa + i * kLargePageSize) | kNptLarge;
  return npt;
}

void FreeNestedPageTables(const NestedPageTables& npt) {
  if (npt.root_pa) mm::FreePages(npt.root_pa, 1);
  if (npt.pdpt_pa) mm::FreePages(npt.pdpt_pa, 1);
  if (npt.pd_pa) mm::FreePages(npt.pd_pa, 1);
}

}  // namespace pv::svm
