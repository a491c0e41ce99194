// Hex encoding and decoding for quote fields and collateral (Intel writes hex in both cases).
#ifndef PV_ATTEST_TDX_HEX_H_
#define PV_ATTEST_TDX_HEX_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pv::attest::tdx {

// Lowercase hex of `bytes`.
std::string HexEncode(absl::string_view bytes);

// Decodes hex digits (either case). Whitespace and anything else is an error; `what` names the
// input in the error message.
absl::StatusOr<std::string> HexDecode(absl::string_view hex, absl::string_view what);

// Little-endian integer readers over a buffer the caller has bounds-checked.
inline uint16_t ReadLe16(absl::string_view b, size_t off) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[off]) |
                               (static_cast<uint8_t>(b[off + 1]) << 8));
}
inline uint32_t ReadLe32(absl::string_view b, size_t off) {
  return static_cast<uint32_t>(ReadLe16(b, off)) |
         (static_cast<uint32_t>(ReadLe16(b, off + 2)) << 16);
}

}  // namespace pv::attest::tdx

#endif  // PV_ATTEST_TDX_HEX_H_
