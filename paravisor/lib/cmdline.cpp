#include "lib/cmdline.h"

namespace pv {

bool StrView::Equals(const char* s) const {
  usize i = 0;
  for (; i < len; ++i) {
    if (s[i] == '\0' || s[i] != data[i]) return false;
  }
  return s[i] == '\0';
}

Cmdline::Cmdline(const char* text) : text_(text ? text : ""), len_(0) {
  while (len_ < kMaxLen && text_[len_] != '\0') ++len_;
}

bool Cmdline::Get(const char* key, StrView* value) const {
  usize i = 0;
  while (i < len_) {
    while (i < len_ && text_[i] == ' ') ++i;
    const usize word = i;
    while (i < len_ && text_[i] != ' ') ++i;
    const usize word_len = i - word;
    usize k = 0;
    while (key[k] != '\0' && k < word_len && text_[word + k] == key[k]) ++k;
    if (key[k] != '\0') continue;
    if (k == word_len) {
      if (value) *value = {text_ + word + k, 0};
      return true;
    }
    if (text_[word + k] == '=') {
      if (value) *value = {text_ + word + k + 1, word_len - k - 1};
      return true;
    }
  }
  return false;
}

bool Cmdline::Has(const char* key) const {
  return Get(key, nullptr);
}

u64 Cmdline::GetU64(const char* key, u64 fallback) const {
  StrView v;
  u64 n = 0;
  if (!Get(key, &v) || !ParseU64(v, &n)) return fallback;
  return n;
}

bool ParseU64(StrView s, u64* out) {
  if (s.len == 0) return false;
  u64 base = 10;
  usize i = 0;
  if (s.len > 2 && s.data[0] == '0' && (s.data[1] == 'x' || s.data[1] == 'X')) {
    base = 16;
    i = 2;
  }
  u64 n = 0;
  for (; i < s.len; ++i) {
    const char c = s.data[i];
    u64 d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    if (n > (~0ull - d) / base) return false;  // overflow
    n = n * base + d;
  }
  *out = n;
  return true;
}

}  // namespace pv
