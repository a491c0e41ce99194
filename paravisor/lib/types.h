// Fixed-width integer aliases used throughout the firmware. The firmware is freestanding and
// compiled with -nostdinc++, so only the compiler's own <stdint.h>/<stddef.h> are available.
#ifndef PV_LIB_TYPES_H_
#define PV_LIB_TYPES_H_

#include <stddef.h>
#include <stdint.h>

namespace pv {

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i32 = int32_t;
using i64 = int64_t;
using usize = size_t;

constexpr u64 kPageSize = 4096;
constexpr u64 kLargePageSize = 2ull << 20;

constexpr u64 AlignUp(u64 value, u64 align) {
  return (value + align - 1) & ~(align - 1);
}
constexpr u64 AlignDown(u64 value, u64 align) {
  return value & ~(align - 1);
}
constexpr bool IsAligned(u64 value, u64 align) {
  return (value & (align - 1)) == 0;
}

}  // namespace pv

#endif  // PV_LIB_TYPES_H_
