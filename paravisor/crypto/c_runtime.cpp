// The C runtime Debian's libmbedcrypto.a needs beyond paravisor/lib/string.cpp (firmware only;
// the list comes from the link, see ../shared/reference/emulators.md §6):
//   calloc/free         over a fixed arena with power-of-two size classes (bounded, zeroed on
//                       free so no key schedule survives in a free block);
//   __stack_chk_fail    the library is built with -fstack-protector-strong: a smashed canary
//                       is a paravisor panic;
//   pthread_mutex_*     MBEDTLS_THREADING_PTHREAD; the paravisor runs one thread;
//   __memcpy_chk, __memset_chk  _FORTIFY_SOURCE (memset: the EC code the KBS client uses);
//   strcmp              cipher/md lookups by name;
//   puts/putchar/__printf_chk  the library's self-test functions (never called);
//   gmtime_r            MBEDTLS_HAVE_TIME_DATE;
//   fopen/fread/...     MBEDTLS_FS_IO seed files: there is no file system, they fail.
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/string.h"

namespace pv::crypto {
namespace {

// 256 KiB: a CTR_DRBG plus an AES-GCM context need a few KiB; the headroom is for ECDSA/ECDH
// (peaks of ~9 KiB measured in the reference notes).
constexpr usize kArenaSize = usize{256} * 1024;
constexpr u32 kMinClassShift = 5;   // 32-byte blocks
constexpr u32 kMaxClassShift = 16;  // 64 KiB blocks
constexpr u32 kClassCount = kMaxClassShift - kMinClassShift + 1;
constexpr usize kBlockHeader = 16;  // keeps payloads 16-byte aligned

struct FreeBlock {
  FreeBlock* next;
};

alignas(16) u8 g_arena[kArenaSize];
usize g_arena_used = 0;
FreeBlock* g_free[kClassCount] = {};

u32 ClassFor(usize total) {
  u32 shift = kMinClassShift;
  while ((usize{1} << shift) < total) ++shift;
  return shift - kMinClassShift;
}

void* HeapAlloc(usize count, usize size) {
  if (count != 0 && size > (kArenaSize / count)) return nullptr;  // overflow or too large
  const usize want = count * size + kBlockHeader;
  if (want > (usize{1} << kMaxClassShift)) return nullptr;
  const u32 cls = ClassFor(want);
  const usize block = usize{1} << (cls + kMinClassShift);
  u8* p = nullptr;
  if (g_free[cls] != nullptr) {
    p = reinterpret_cast<u8*>(g_free[cls]);
    g_free[cls] = g_free[cls]->next;
  } else {
    if (kArenaSize - g_arena_used < block) return nullptr;  // mbedTLS reports ALLOC_FAILED
    p = g_arena + g_arena_used;
    g_arena_used += block;
  }
  memset(p, 0, block);
  *reinterpret_cast<u64*>(p) = cls;
  return p + kBlockHeader;
}

void HeapFree(void* ptr) {
  if (ptr == nullptr) return;
  u8* p = static_cast<u8*>(ptr) - kBlockHeader;
  if (p < g_arena || p >= g_arena + g_arena_used) {
    Panic("crypto heap: free of a pointer it never handed out");
  }
  const u64 cls = *reinterpret_cast<u64*>(p);
  if (cls >= kClassCount) Panic("crypto heap: block header overwritten");
  memset(p, 0, usize{1} << (cls + kMinClassShift));
  auto* f = reinterpret_cast<FreeBlock*>(p);
  f->next = g_free[cls];
  g_free[cls] = f;
}

}  // namespace
}  // namespace pv::crypto

extern "C" {

void* calloc(size_t count, size_t size) {
  return pv::crypto::HeapAlloc(count, size);
}

void free(void* ptr) {
  pv::crypto::HeapFree(ptr);
}

[[noreturn]] void __stack_chk_fail() {
  pv::Panic("stack-protector canary overwritten inside libmbedcrypto");
}

void* __memcpy_chk(void* dst, const void* src, size_t n, size_t dst_len) {
  if (n > dst_len) pv::Panic("__memcpy_chk: overflow");
  return memcpy(dst, src, n);
}

void* __memset_chk(void* dst, int c, size_t n, size_t dst_len) {
  if (n > dst_len) pv::Panic("__memset_chk: overflow");
  return memset(dst, c, n);
}

int strcmp(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

// One thread: a mutex is always free.
int pthread_mutex_init(void*, const void*) {
  return 0;
}
int pthread_mutex_destroy(void*) {
  return 0;
}
int pthread_mutex_lock(void*) {
  return 0;
}
int pthread_mutex_unlock(void*) {
  return 0;
}

// Only the library's *_self_test functions print (MBEDTLS_SELF_TEST); the paravisor never calls
// them, but they share object files with what it does call. Text goes to the firmware log;
// formatted output is not supported (the format string is written as is).
int puts(const char* s) {
  pv::LogSinkWrite(s, strlen(s));
  pv::LogSinkWrite("\n", 1);
  return 0;
}
int putchar(int c) {
  const char ch = static_cast<char>(c);
  pv::LogSinkWrite(&ch, 1);
  return c;
}
int __printf_chk(int, const char* format, ...) {
  pv::LogSinkWrite(format, strlen(format));
  return 0;
}

// No file system.
void* fopen(const char*, const char*) {
  return nullptr;
}
size_t fread(void*, size_t, size_t, void*) {
  return 0;
}
size_t fwrite(const void*, size_t, size_t, void*) {
  return 0;
}
int fclose(void*) {
  return -1;
}
int ferror(void*) {
  return 1;
}
char* fgets(char*, int, void*) {
  return nullptr;
}

// MBEDTLS_HAVE_TIME_DATE (certificate validity in x509, never linked into this image): no
// wall clock.
void* gmtime_r(const void*, void*) {
  return nullptr;
}

}  // extern "C"
