// Small string helpers shared by the firmware and the host unit tests (no libc dependency
// beyond strlen).
#include "lib/string.h"

namespace pv {

bool StrEquals(const char* a, const char* b, usize b_len) {
  usize i = 0;
  for (; i < b_len; ++i) {
    if (a[i] == '\0' || a[i] != b[i]) return false;
  }
  return a[i] == '\0';
}

bool StrStartsWith(const char* s, usize s_len, const char* prefix) {
  usize i = 0;
  for (; prefix[i] != '\0'; ++i) {
    if (i >= s_len || s[i] != prefix[i]) return false;
  }
  return true;
}

}  // namespace pv
