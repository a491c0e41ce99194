#include "mm/paging.h"

#include "arch/cpu.h"
#include "mm/page_alloc.h"

namespace pv::mm {
namespace {

constexpr u64 kPresent = 1ull << 0;
constexpr u64 kWrite = 1ull << 1;
constexpr u64 kPwt = 1ull << 3;
constexpr u64 kPcd = 1ull << 4;
constexpr u64 kLarge = 1ull << 7;
constexpr u64 kAddrMask = 0x000ffffffffff000ull;
constexpr u64 kMaxPhysAddr = 1ull << 46;

Result<u64*> NextLevel(u64* table, usize index) {
  if ((table[index] & kPresent) == 0) {
    PV_TRY_ASSIGN(u64 page, AllocPages(1));
    table[index] = page | kPresent | kWrite;
  } else if (table[index] & kLarge) {
    return Status(Err::kInvalidArgument, "paging: range overlaps an existing large mapping");
  }
  return PhysToVirt<u64>(table[index] & kAddrMask);
}

}  // namespace

Status MapIdentity(u64 pa, u64 size, Caching caching) {
  if (size == 0 || pa >= kMaxPhysAddr || size > kMaxPhysAddr - pa) {
    return Status(Err::kOutOfRange, "paging: identity range outside the physical address width");
  }
  const u64 flags =
      kPresent | kWrite | kLarge | (caching == Caching::kUncached ? (kPcd | kPwt) : 0);
  u64* pml4 = PhysToVirt<u64>(arch::ReadCr3() & kAddrMask);
  for (u64 a = AlignDown(pa, kLargePageSize); a < pa + size; a += kLargePageSize) {
    PV_TRY_ASSIGN(u64 * pdpt, NextLevel(pml4, (a >> 39) & 511));
    PV_TRY_ASSIGN(u64 * pd, NextLevel(pdpt, (a >> 30) & 511));
    u64& pde = pd[(a >> 21) & 511];
    if ((pde & kPresent) && (pde & kAddrMask) != a) {
      return Status(Err::kInvalidArgument, "paging: range already mapped elsewhere");
    }
    pde = a | flags;
    asm volatile("invlpg (%0)" ::"r"(a) : "memory");
  }
  return Status::Ok();
}

}  // namespace pv::mm
