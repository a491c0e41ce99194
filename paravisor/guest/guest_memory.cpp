#include "guest/guest_memory.h"

#include "arch/registers.h"
#include "lib/string.h"

namespace pv {
namespace {

using arch::kCr0Pg;
using arch::kCr4La57;
using arch::kCr4Pae;
using arch::kEferLma;
constexpr u64 kPtePresent = 1ull << 0;
constexpr u64 kPteLarge = 1ull << 7;
constexpr u64 kPteAddr = 0x000ffffffffff000ull;

}  // namespace

Status GuestMemory::RawRead(u64 gpa, void* dst, usize len) const {
  if (!Contains(gpa, len)) return Status(Err::kOutOfRange, "guest memory: read outside guest RAM");
  memcpy(dst, base_ + gpa, len);
  return Status::Ok();
}

Status GuestMemory::CheckShared(u64 gpa, usize len) const {
  if (shared_ != nullptr && !shared_->ContainsRange(gpa, len)) {
    return Status(Err::kOutOfRange, "guest memory: page is private to an encrypted-state guest");
  }
  return Status::Ok();
}

Status GuestMemory::ReadGpa(u64 gpa, void* dst, usize len) const {
  PV_TRY(CheckShared(gpa, len));
  return RawRead(gpa, dst, len);
}

Status GuestMemory::PlatformWriteGpa(u64 gpa, const void* src, usize len) {
  if (!Contains(gpa, len)) return Status(Err::kOutOfRange, "guest memory: write outside guest RAM");
  memcpy(base_ + gpa, src, len);
  return Status::Ok();
}

Status GuestMemory::WriteGpa(u64 gpa, const void* src, usize len) {
  if (!Contains(gpa, len)) return Status(Err::kOutOfRange, "guest memory: write outside guest RAM");
  PV_TRY(CheckShared(gpa, len));
  memcpy(base_ + gpa, src, len);
  return Status::Ok();
}

Result<u64> GuestMemory::Translate(const GuestPaging& paging, u64 gva) const {
  if (shared_ != nullptr) {
    return Status(Err::kUnsupported,
                  "guest page walk: an encrypted-state guest's page tables are private");
  }
  return Walk(paging, gva);
}

Result<u64> GuestMemory::Walk(const GuestPaging& paging, u64 gva) const {
  if ((paging.cr0 & kCr0Pg) == 0) return gva;
  if ((paging.efer & kEferLma) == 0 || (paging.cr4 & kCr4Pae) == 0) {
    return Status(Err::kUnsupported, "guest page walk: only 4-level long-mode paging is supported");
  }
  if (paging.cr4 & kCr4La57) {
    return Status(Err::kUnsupported, "guest page walk: 5-level paging is not supported");
  }
  // A non-canonical address (bits 63:47 not all equal) faults before any walk: #GP, not a
  // translation.
  const u64 high = gva >> 47;
  if (high != 0 && high != (1ull << 17) - 1) {
    return Status(Err::kInvalidArgument, "guest page walk: non-canonical address");
  }
  u64 table = paging.cr3 & kPteAddr;
  // Level 4 (PML4) down to level 1 (PT); levels 3 and 2 may map 1 GiB / 2 MiB pages.
  for (int level = 4; level >= 1; --level) {
    const u64 index = (gva >> (12 + 9 * (level - 1))) & 511;
    u64 entry;
    if (!RawRead(table + index * 8, &entry, sizeof(entry)).ok()) {
      return Status(Err::kOutOfRange, "guest page walk: a page table lies outside guest RAM");
    }
    if ((entry & kPtePresent) == 0) {
      return Status(Err::kNotFound, "guest page walk: address not mapped by the guest");
    }
    // PS is reserved in a PML4 entry; a large page's frame must be aligned to its size (bit 12
    // is its PAT bit): the CPU raises a reserved-bit page fault on either.
    if (level == 4 && (entry & kPteLarge)) {
      return Status(Err::kInvalidArgument, "guest page walk: PS set in a PML4 entry (reserved)");
    }
    if ((level == 2 || level == 3) && (entry & kPteLarge)) {
      const u64 reserved = ((1ull << (12 + 9 * (level - 1))) - 1) & kPteAddr & ~(1ull << 12);
      if (entry & reserved) {
        return Status(Err::kInvalidArgument,
                      "guest page walk: large-page frame not aligned (reserved bits set)");
      }
    }
    if (level == 1 || ((level == 2 || level == 3) && (entry & kPteLarge))) {
      const u64 page_bits = 12 + 9 * (level - 1);
      const u64 frame = entry & kPteAddr & ~((1ull << page_bits) - 1);
      return frame | (gva & ((1ull << page_bits) - 1));
    }
    table = entry & kPteAddr;
  }
  return Status(Err::kNotFound, "guest page walk: no leaf");  // not reached
}

// Calls `fn(gpa, offset, chunk)` for each piece of [gva, gva + len) that stays in one page.
template <typename Fn>
Status GuestMemory::ForEachPage(const GuestPaging& paging, u64 gva, usize len, Fn fn,
                                bool platform) const {
  for (usize done = 0; done < len;) {
    const usize chunk_max = kPageSize - ((gva + done) & (kPageSize - 1));
    const usize chunk = (len - done) < chunk_max ? (len - done) : chunk_max;
    PV_TRY_ASSIGN(u64 gpa, platform ? Walk(paging, gva + done) : Translate(paging, gva + done));
    PV_TRY(fn(gpa, done, chunk));
    done += chunk;
  }
  return Status::Ok();
}

Status GuestMemory::ReadGva(const GuestPaging& paging, u64 gva, void* dst, usize len) const {
  auto* out = static_cast<u8*>(dst);
  return ForEachPage(paging, gva, len, [&](u64 gpa, usize offset, usize chunk) {
    return ReadGpa(gpa, out + offset, chunk);
  });
}

Status GuestMemory::WriteGva(const GuestPaging& paging, u64 gva, const void* src, usize len) {
  // Pass 1: the whole range must translate (no partial write into a half-mapped buffer).
  PV_TRY(ForEachPage(paging, gva, len, [&](u64 gpa, usize, usize chunk) {
    return Contains(gpa, chunk) ? Status::Ok()
                                : Status(Err::kOutOfRange, "guest write outside guest RAM");
  }));
  const auto* in = static_cast<const u8*>(src);
  return ForEachPage(paging, gva, len, [&](u64 gpa, usize offset, usize chunk) {
    return WriteGpa(gpa, in + offset, chunk);
  });
}

Status GuestMemory::PlatformReadGva(const GuestPaging& paging, u64 gva, void* dst,
                                    usize len) const {
  auto* out = static_cast<u8*>(dst);
  return ForEachPage(
      paging, gva, len,
      [&](u64 gpa, usize offset, usize chunk) { return RawRead(gpa, out + offset, chunk); },
      /*platform=*/true);
}

}  // namespace pv
