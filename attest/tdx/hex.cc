// The TDX code's hex helpers over std::string buffers: thin adapters over the shared
// implementation in attest/common/bytes.h that add which input was malformed to the error.
#include "attest/tdx/hex.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"

namespace pv::attest::tdx {

std::string HexEncode(absl::string_view bytes) {
  return pv::attest::HexEncode(
      ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

absl::StatusOr<std::string> HexDecode(absl::string_view hex, absl::string_view what) {
  absl::StatusOr<Bytes> raw = pv::attest::HexDecode(hex);
  if (!raw.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", raw.status().message()));
  }
  return std::string(raw->begin(), raw->end());
}

}  // namespace pv::attest::tdx
