// Byte-level helpers shared by the verifiers: bounded file reads, hex encoding and decoding,
// and little-endian loads from untrusted buffers.
#ifndef PV_ATTEST_COMMON_BYTES_H_
#define PV_ATTEST_COMMON_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pv::attest {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

// Evidence and collateral files are small; anything larger than this is refused before it is
// read so a hostile path (a device, a huge file) cannot exhaust memory.
inline constexpr size_t kMaxInputFileBytes = size_t{16} * 1024 * 1024;

// Reads a whole file, refusing files larger than `max_bytes`. Errors name the path.
absl::StatusOr<Bytes> ReadFileBytes(const std::string& path, size_t max_bytes = kMaxInputFileBytes);

std::string HexEncode(ByteSpan bytes);

// Accepts upper or lower case; refuses odd lengths and non-hex characters.
absl::StatusOr<Bytes> HexDecode(absl::string_view hex);

bool AllZero(ByteSpan bytes);

inline uint16_t LoadLe16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t LoadLe64(const uint8_t* p) {
  return static_cast<uint64_t>(LoadLe32(p)) | (static_cast<uint64_t>(LoadLe32(p + 4)) << 32);
}

}  // namespace pv::attest

#endif  // PV_ATTEST_COMMON_BYTES_H_
