// The paravisor command line: space-separated `key=value` words (QEMU -append). A first word
// without '=' (QEMU passes the kernel's path there) is ignored. Lookups are bounded by the
// string's length; values are returned as (pointer, length) views into the original string.
#ifndef PV_LIB_CMDLINE_H_
#define PV_LIB_CMDLINE_H_

#include "lib/types.h"

namespace pv {

struct StrView {
  const char* data = nullptr;
  usize len = 0;
  bool empty() const { return len == 0; }
  bool Equals(const char* s) const;
};

class Cmdline {
 public:
  static constexpr usize kMaxLen = 1024;
  explicit Cmdline(const char* text);

  // True and the value if `key=` appears; a bare `key` yields an empty value.
  bool Get(const char* key, StrView* value) const;
  // The value parsed as an unsigned decimal or 0x-hex number, or `fallback` when absent or bad.
  u64 GetU64(const char* key, u64 fallback) const;
  bool Has(const char* key) const;

 private:
  const char* text_;
  usize len_;
};

// Parses a decimal or 0x-prefixed hex number that fills the whole view; false otherwise.
bool ParseU64(StrView s, u64* out);

}  // namespace pv

#endif  // PV_LIB_CMDLINE_H_
