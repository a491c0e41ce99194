// Loads a guest image into guest memory. Two formats:
//  - a 64-bit ELF executable (ET_EXEC, EM_X86_64): PT_LOAD segments go to their physical
//    addresses, the entry point is e_entry;
//  - anything else is a flat binary, loaded at abi::kImageBase and entered at its first byte.
// The image is untrusted input: every header field is range-checked, segments must lie inside
// [kImageBase, mem_size - kStackReserve), and a rejected image leaves guest memory untouched.
#ifndef PV_GUEST_LOADER_H_
#define PV_GUEST_LOADER_H_

#include "guest/guest_memory.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv {

constexpr u64 kStackReserve = u64{64} * 1024;  // top of guest RAM, kept for the initial stack
constexpr usize kMaxLoadSegments = 16;

struct LoadedImage {
  u64 entry = 0;
  u64 start = 0;  // lowest GPA written
  u64 end = 0;    // one past the highest GPA written
  bool elf = false;
};

Result<LoadedImage> LoadGuestImage(GuestMemory& memory, const u8* image, u64 image_size);

}  // namespace pv

#endif  // PV_GUEST_LOADER_H_
