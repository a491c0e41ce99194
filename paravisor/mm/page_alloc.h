// Physical page allocator: one bit per 4 KiB page of the first 4 GiB (the identity-mapped range,
// so every allocated page is also addressable at VA == PA). Allocations are zeroed. Contiguous,
// aligned runs serve nested page tables, VMCBs, bitmaps and guest memory.
#ifndef PV_MM_PAGE_ALLOC_H_
#define PV_MM_PAGE_ALLOC_H_

#include "boot/multiboot.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::mm {

// Marks the usable RAM of `info` free, except the first MiB, the paravisor image, the multiboot
// structures and every module (guest images are read from there later).
void InitPageAllocator(const boot::BootInfo& info);

// `count` contiguous zeroed pages whose first page is aligned to `align_pages` pages.
Result<u64> AllocPages(u64 count, u64 align_pages = 1);
void FreePages(u64 pa, u64 count);

u64 FreePageCount();

template <typename T>
T* PhysToVirt(u64 pa) {
  return reinterpret_cast<T*>(pa);  // identity mapped
}
inline u64 VirtToPhys(const void* va) {
  return reinterpret_cast<u64>(va);
}

}  // namespace pv::mm

#endif  // PV_MM_PAGE_ALLOC_H_
