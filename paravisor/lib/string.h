// The few C library routines the compiler may emit calls to (memcpy, memset, ...) plus small
// helpers. Defined in lib/string.cpp for the firmware; host unit tests use the C library's.
#ifndef PV_LIB_STRING_H_
#define PV_LIB_STRING_H_

#include "lib/types.h"

#if __STDC_HOSTED__
#include <string.h>  // host unit tests: the C library's (declarations must match exactly)
#else
extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
}
#endif

namespace pv {

// Compares a NUL-terminated string with a length-delimited one.
bool StrEquals(const char* a, const char* b, usize b_len);
bool StrStartsWith(const char* s, usize s_len, const char* prefix);

}  // namespace pv

#endif  // PV_LIB_STRING_H_
