// A bounded printf subset. Formatting never writes past `size`; output is truncated instead.
#include "lib/log.h"

namespace pv {
namespace {

struct Out {
  char* buf;
  usize size;
  usize len = 0;
  void Put(char c) {
    if (len + 1 < size) buf[len] = c;
    ++len;
  }
};

void PutUnsigned(Out& out, u64 value, unsigned base, bool upper, int width, char pad) {
  char digits[24];
  int n = 0;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    digits[n++] = set[value % base];
    value /= base;
  } while (value != 0 && n < 24);
  for (int i = n; i < width; ++i) out.Put(pad);
  while (n > 0) out.Put(digits[--n]);
}

}  // namespace

// The analyzer does not track a va_list received as a parameter and reports every va_arg as
// reading an uninitialised list; callers always va_start it.
// NOLINTBEGIN(clang-analyzer-valist.Uninitialized)
usize FormatV(char* buf, usize size, const char* fmt, va_list args) {
  Out out{buf, size};
  for (const char* p = fmt; *p != '\0'; ++p) {
    if (*p != '%') {
      out.Put(*p);
      continue;
    }
    ++p;
    char pad = ' ';
    if (*p == '0') {
      pad = '0';
      ++p;
    }
    int width = 0;
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    int longs = 0;
    while (*p == 'l' || *p == 'z') {
      ++longs;
      ++p;
    }
    switch (*p) {
      case 'd':
      case 'i': {
        i64 v = longs ? va_arg(args, i64) : va_arg(args, int);
        if (v < 0) {
          out.Put('-');
          PutUnsigned(out, static_cast<u64>(-(v + 1)) + 1, 10, false, width > 0 ? width - 1 : 0,
                      pad);
        } else {
          PutUnsigned(out, static_cast<u64>(v), 10, false, width, pad);
        }
        break;
      }
      case 'u':
        PutUnsigned(out, longs ? va_arg(args, u64) : va_arg(args, unsigned), 10, false, width, pad);
        break;
      case 'x':
      case 'X':
        PutUnsigned(out, longs ? va_arg(args, u64) : va_arg(args, unsigned), 16, *p == 'X', width,
                    pad);
        break;
      case 'p':
        out.Put('0');
        out.Put('x');
        PutUnsigned(out, reinterpret_cast<u64>(va_arg(args, void*)), 16, false, 16, '0');
        break;
      case 'c':
        out.Put(static_cast<char>(va_arg(args, int)));
        break;
      case 's': {
        const char* s = va_arg(args, const char*);
        if (s == nullptr) s = "(null)";
        while (*s != '\0') out.Put(*s++);
        break;
      }
      case '%':
        out.Put('%');
        break;
      case '\0':
        --p;  // a lone '%' at the end: stop at the terminator
        break;
      default:
        out.Put('%');
        out.Put(*p);
        break;
    }
  }
  if (size > 0) buf[out.len < size ? out.len : size - 1] = '\0';
  return out.len;
}

// NOLINTEND(clang-analyzer-valist.Uninitialized)

usize Format(char* buf, usize size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  usize n = FormatV(buf, size, fmt, args);
  va_end(args);
  return n;
}

void Log(const char* fmt, ...) {
  char line[256];
  va_list args;
  va_start(args, fmt);
  usize n = FormatV(line, sizeof(line) - 1, fmt, args);
  va_end(args);
  if (n > sizeof(line) - 2) n = sizeof(line) - 2;
  line[n] = '\n';
  LogSinkWrite(line, n + 1);
}

}  // namespace pv
