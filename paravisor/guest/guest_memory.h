// A guest's RAM as the paravisor sees it: one contiguous host range that nested paging maps at
// guest-physical 0. Every access is bounds-checked against the guest's size; guest-virtual
// addresses are translated by walking the guest's own page tables, whose entries are guest data
// and therefore untrusted (each table address is bounds-checked before it is read).
#ifndef PV_GUEST_GUEST_MEMORY_H_
#define PV_GUEST_GUEST_MEMORY_H_

#include "guest/shared_pages.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv {

// The guest registers that decide how a guest-virtual address translates.
struct GuestPaging {
  u64 cr0 = 0, cr3 = 0, cr4 = 0, efer = 0;
};

class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(u8* host_base, u64 host_pa, u64 size)
      : base_(host_base), host_pa_(host_pa), size_(size) {}

  u64 size() const { return size_; }
  u64 host_pa() const { return host_pa_; }
  bool Contains(u64 gpa, u64 len) const { return gpa < size_ && len <= size_ - gpa; }

  Status ReadGpa(u64 gpa, void* dst, usize len) const;
  Status WriteGpa(u64 gpa, const void* src, usize len);
  // Direct pointer for the paravisor's own setup writes; null if out of range.
  u8* HostPointer(u64 gpa, u64 len) { return Contains(gpa, len) ? base_ + gpa : nullptr; }

  // Guest-virtual to guest-physical. Supports paging off and 4-level long-mode paging (4 KiB,
  // 2 MiB and 1 GiB pages); anything else is reported as unsupported.
  Result<u64> Translate(const GuestPaging& paging, u64 gva) const;
  // Reads `len` bytes at a guest-virtual address, translating each page separately.
  Status ReadGva(const GuestPaging& paging, u64 gva, void* dst, usize len) const;
  // Writes `len` bytes at a guest-virtual address: every page is translated first, so a buffer
  // that is not entirely mapped is not written at all.
  Status WriteGva(const GuestPaging& paging, u64 gva, const void* src, usize len);

  // Encrypted-state guest (tee=sev-es|sev-snp|tdx): from now on every access above is limited to
  // the pages in `shared` and guest-virtual translation fails (the guest's page tables are
  // private), as the hardware's memory encryption would have it. Null lifts the limit.
  void LimitToShared(const SharedPages* shared) { shared_ = shared; }
  bool limited() const { return shared_ != nullptr; }
  // The emulated platform's own instruction fetch at a guest-virtual address, ignoring the
  // limit: only the code that plays the CPU's part (recognising VMGEXIT or TDCALL, the length
  // of an instruction the "hardware" completes) uses it, never an exit handler.
  Status PlatformReadGva(const GuestPaging& paging, u64 gva, void* dst, usize len) const;
  // The same for guest-physical memory the platform itself reads or writes (the TDX module's
  // own leaves: TDG.MR.RTMR.EXTEND's data, TDG.MR.REPORT's REPORTDATA in and TDREPORT out).
  Status PlatformReadGpa(u64 gpa, void* dst, usize len) const { return RawRead(gpa, dst, len); }
  Status PlatformWriteGpa(u64 gpa, const void* src, usize len);

 private:
  template <typename Fn>
  Status ForEachPage(const GuestPaging& paging, u64 gva, usize len, Fn fn,
                     bool platform = false) const;
  Result<u64> Walk(const GuestPaging& paging, u64 gva) const;
  Status RawRead(u64 gpa, void* dst, usize len) const;
  Status CheckShared(u64 gpa, usize len) const;

  const SharedPages* shared_ = nullptr;

  u8* base_ = nullptr;
  u64 host_pa_ = 0;
  u64 size_ = 0;
};

}  // namespace pv

#endif  // PV_GUEST_GUEST_MEMORY_H_
