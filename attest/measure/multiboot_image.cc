#include "attest/measure/multiboot_image.h"

#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"

namespace pv::attest::measure {
namespace {
constexpr uint32_t kMagic = 0x1BADB002;
constexpr uint32_t kFlagAout = 1u << 16;
constexpr size_t kSearchBytes = 8192;
constexpr size_t kHeaderBytes = 32;  // magic, flags, checksum, 5 address fields
}  // namespace

absl::StatusOr<MultibootLoad> ParseMultibootImage(std::span<const uint8_t> file) {
  const size_t limit = file.size() < kSearchBytes ? file.size() : kSearchBytes;
  for (size_t off = 0; off + kHeaderBytes <= limit; off += 4) {
    const uint8_t* h = file.data() + off;
    const uint32_t magic = LoadLe32(h), flags = LoadLe32(h + 4), sum = LoadLe32(h + 8);
    if (magic != kMagic || magic + flags + sum != 0) continue;
    if ((flags & kFlagAout) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("firmware: multiboot header at offset ", off,
                                                     " has no address fields (flag 16)"));
    }
    const uint64_t header_addr = LoadLe32(h + 12), load_addr = LoadLe32(h + 16);
    uint64_t load_end = LoadLe32(h + 20), bss_end = LoadLe32(h + 24);
    const uint64_t entry = LoadLe32(h + 28);
    if (load_addr > header_addr || header_addr - load_addr > off) {
      return absl::InvalidArgumentError(absl::StrCat(
          "firmware: multiboot header_addr 0x", absl::Hex(header_addr), " / load_addr 0x",
          absl::Hex(load_addr), " do not match the header's file offset"));
    }
    MultibootLoad load;
    load.file_offset = off - (header_addr - load_addr);
    const uint64_t available = file.size() - load.file_offset;
    if (load_end == 0) load_end = load_addr + available;
    if (load_end < load_addr || load_end - load_addr > available) {
      return absl::InvalidArgumentError(absl::StrCat("firmware: multiboot load_end_addr 0x",
                                                     absl::Hex(load_end), " is beyond the file"));
    }
    if (bss_end == 0) bss_end = load_end;
    if (load_addr < kMultibootLowestLoad || bss_end < load_end || bss_end > kMultibootHighestEnd) {
      return absl::InvalidArgumentError(absl::StrCat(
          "firmware: multiboot load range 0x", absl::Hex(load_addr), "..0x", absl::Hex(bss_end),
          " is outside 1 MiB..3 GiB or bss_end_addr is below load_end_addr"));
    }
    if (entry < load_addr || entry >= load_end) {
      return absl::InvalidArgumentError(absl::StrCat(
          "firmware: multiboot entry_addr 0x", absl::Hex(entry), " is outside the loaded bytes"));
    }
    load.load_addr = load_addr;
    load.load_size = load_end - load_addr;
    load.bss_end = bss_end;
    load.entry = entry;
    return load;
  }
  return absl::InvalidArgumentError("firmware: no multiboot header in the first 8 KiB");
}

}  // namespace pv::attest::measure
