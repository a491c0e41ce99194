#include "mm/page_alloc.h"

#include "lib/log.h"
#include "lib/string.h"

extern "C" char _image_start[], _bss_end[];

namespace pv::mm {
namespace {

constexpr u64 kMaxPhys = 4ull << 30;
constexpr u64 kMaxPages = kMaxPhys / kPageSize;

// A set bit means "in use". Everything starts in use; InitPageAllocator frees usable RAM.
u64 g_bitmap[kMaxPages / 64];
u64 g_free_pages = 0;
u64 g_search_hint = 0;  // first page index worth scanning from

bool InUse(u64 page) {
  return (g_bitmap[page / 64] >> (page % 64)) & 1;
}
void SetUse(u64 page, bool used) {
  const u64 bit = 1ull << (page % 64);
  if (used) {
    g_bitmap[page / 64] |= bit;
  } else {
    g_bitmap[page / 64] &= ~bit;
  }
}

void MarkRange(u64 start, u64 end, bool used) {
  if (start >= kMaxPhys) return;
  if (end > kMaxPhys) end = kMaxPhys;
  for (u64 p = start / kPageSize; p < AlignUp(end, kPageSize) / kPageSize; ++p) {
    if (InUse(p) != used) {
      SetUse(p, used);
      g_free_pages += used ? -1 : 1;
    }
  }
}

}  // namespace

void InitPageAllocator(const boot::BootInfo& info) {
  memset(g_bitmap, 0xff, sizeof(g_bitmap));
  g_free_pages = 0;
  for (usize i = 0; i < info.ram_count; ++i) {
    const u64 start = AlignUp(info.ram[i].base, kPageSize);
    const u64 end = AlignDown(info.ram[i].base + info.ram[i].length, kPageSize);
    if (end > start) MarkRange(start, end, false);
  }
  MarkRange(0, 1ull << 20, true);
  MarkRange(reinterpret_cast<u64>(_image_start), reinterpret_cast<u64>(_bss_end), true);
  MarkRange(AlignDown(info.info_start, kPageSize), info.info_end, true);
  for (usize i = 0; i < info.module_count; ++i) {
    MarkRange(AlignDown(info.modules[i].start, kPageSize), info.modules[i].end, true);
    // The module's string too; it lives wherever the loader put it (usually low memory).
    const u64 s = reinterpret_cast<u64>(info.modules[i].cmdline);
    MarkRange(AlignDown(s, kPageSize), s + 1024, true);
  }
  const u64 c = reinterpret_cast<u64>(info.cmdline);
  MarkRange(AlignDown(c, kPageSize), c + 1024, true);
  g_search_hint = 0;
}

Result<u64> AllocPages(u64 count, u64 align_pages) {
  if (count == 0 || align_pages == 0 || (align_pages & (align_pages - 1)) != 0) {
    return Status(Err::kInvalidArgument,
                  "page allocator: count must be > 0, alignment a power of 2");
  }
  if (count > g_free_pages) return Status(Err::kNoMemory, "page allocator: out of memory");
  for (u64 first = AlignUp(g_search_hint, align_pages); first + count <= kMaxPages;
       first += align_pages) {
    u64 n = 0;
    while (n < count && !InUse(first + n)) ++n;
    if (n == count) {
      for (u64 p = first; p < first + count; ++p) SetUse(p, true);
      g_free_pages -= count;
      if (align_pages == 1 && count == 1) g_search_hint = first + 1;
      memset(PhysToVirt<void>(first * kPageSize), 0, count * kPageSize);
      return first * kPageSize;
    }
  }
  return Status(Err::kNoMemory, "page allocator: no contiguous run of the requested size");
}

void FreePages(u64 pa, u64 count) {
  MarkRange(pa, pa + count * kPageSize, false);
  if (pa / kPageSize < g_search_hint) g_search_hint = pa / kPageSize;
}

u64 FreePageCount() {
  return g_free_pages;
}

}  // namespace pv::mm
