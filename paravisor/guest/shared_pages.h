// The pages an encrypted-state guest has shared with the paravisor (SEV-SNP page state change to
// shared, TDX MapGPA to shared). Everything else of such a guest is private: the paravisor's one
// guest-memory interface (guest/guest_memory.h) refuses it, as the hardware's encryption would.
// A small bounded set: the test guests share a GHCB and a few buffers; a request beyond the
// capacity is refused with the protocol's error instead of growing anything.
#ifndef PV_GUEST_SHARED_PAGES_H_
#define PV_GUEST_SHARED_PAGES_H_

#include "lib/types.h"

namespace pv {

class SharedPages {
 public:
  static constexpr usize kCapacity = 64;

  bool IsShared(u64 gfn) const {
    for (usize i = 0; i < count_; ++i) {
      if (gfns_[i] == gfn) return true;
    }
    return false;
  }
  // Every page of [gpa, gpa + len) is shared (len 0: the page holding gpa).
  bool ContainsRange(u64 gpa, u64 len) const {
    if (len == 0) len = 1;
    if (gpa + len < gpa) return false;
    for (u64 gfn = gpa / kPageSize; gfn <= (gpa + len - 1) / kPageSize; ++gfn) {
      if (!IsShared(gfn)) return false;
    }
    return true;
  }
  // False when the set is full (the page stays private).
  bool Share(u64 gfn) {
    if (IsShared(gfn)) return true;
    if (count_ == kCapacity) return false;
    gfns_[count_++] = gfn;
    return true;
  }
  void MakePrivate(u64 gfn) {
    for (usize i = 0; i < count_; ++i) {
      if (gfns_[i] == gfn) {
        gfns_[i] = gfns_[--count_];
        return;
      }
    }
  }
  usize count() const { return count_; }
  void Clear() { count_ = 0; }

 private:
  u64 gfns_[kCapacity] = {};
  usize count_ = 0;
};

}  // namespace pv

#endif  // PV_GUEST_SHARED_PAGES_H_
