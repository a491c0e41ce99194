// The paravisor image's multiboot (v1) header, as a loader reads it to place the image: the
// "a.out kludge" address fields say which file bytes go where. The image is a file the user
// names: hostile input, parsed with every field range-checked.
#ifndef PV_ATTEST_MEASURE_MULTIBOOT_IMAGE_H_
#define PV_ATTEST_MEASURE_MULTIBOOT_IMAGE_H_

#include <cstdint>
#include <span>

#include "absl/status/statusor.h"

namespace pv::attest::measure {

struct MultibootLoad {
  uint64_t file_offset = 0;  // first file byte loaded
  uint64_t load_addr = 0;    // where it goes
  uint64_t load_size = 0;    // bytes copied from the file
  uint64_t bss_end = 0;      // zeroed up to here (>= load_addr + load_size)
  uint64_t entry = 0;        // 32-bit protected-mode entry
};

inline constexpr uint64_t kMultibootLowestLoad = 0x100000;    // 1 MiB
inline constexpr uint64_t kMultibootHighestEnd = 0xC0000000;  // below the PCI hole

// Finds the header in the first 8 KiB (4-byte aligned, magic 0x1BADB002, checksum) and
// validates the address fields against the file.
absl::StatusOr<MultibootLoad> ParseMultibootImage(std::span<const uint8_t> file);

}  // namespace pv::attest::measure

#endif  // PV_ATTEST_MEASURE_MULTIBOOT_IMAGE_H_
