// Base64 (RFC 4648 section 4) and base64url without padding (section 5, as JOSE uses it).
// Decoders are strict: they refuse characters outside the alphabet, impossible lengths and
// non-zero trailing bits, so one byte string has exactly one accepted encoding.
#ifndef PV_KBS_BASE64_H_
#define PV_KBS_BASE64_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"

namespace pv::kbs {

std::string Base64Encode(attest::ByteSpan data);     // with '=' padding
std::string Base64UrlEncode(attest::ByteSpan data);  // no padding
inline std::string Base64UrlEncode(std::string_view s) {
  return Base64UrlEncode(attest::ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

// Standard alphabet; padding required when the length is not a multiple of 4 characters.
absl::StatusOr<attest::Bytes> Base64Decode(std::string_view text);
// URL-safe alphabet, no padding accepted.
absl::StatusOr<attest::Bytes> Base64UrlDecode(std::string_view text);

}  // namespace pv::kbs

#endif  // PV_KBS_BASE64_H_
