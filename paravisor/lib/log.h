// Firmware log: printf-style formatting into the console sink (COM1, plus Bochs' port 0xE9 when
// present). Supported conversions: %s %c %d %i %u %x %X %p %%, with optional '0' flag, width,
// and the 'l'/'ll'/'z' length modifiers. Each Log() call is one line; the newline is added.
#ifndef PV_LIB_LOG_H_
#define PV_LIB_LOG_H_

#include <stdarg.h>

#include "lib/types.h"

namespace pv {

// Where formatted bytes go. The firmware implements it over the serial port; host unit tests
// implement it over a buffer they can inspect.
void LogSinkWrite(const char* data, usize len);

// Formats into `buf` (always NUL-terminated when size > 0); returns the untruncated length.
usize FormatV(char* buf, usize size, const char* fmt, va_list args);
usize Format(char* buf, usize size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

void Log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace pv

#endif  // PV_LIB_LOG_H_
