// Base64 (RFC 4648 section 4, padded) and base64url (section 5, unpadded, as JOSE uses it) for
// the paravisor's KBS client. Strict decoding: only the alphabet of the variant, padding exactly
// where the standard form needs it and nowhere in the url form, no whitespace, and the unused
// bits of the last character zero, so one text has one meaning. Every size is checked against
// the caller's buffer before a byte is written.
#ifndef PV_KBS_CLIENT_BASE64_H_
#define PV_KBS_CLIENT_BASE64_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::kbs_client {

enum class B64 : u8 { kStandard, kUrl };

// Characters Encode writes for `len` bytes (no NUL).
constexpr usize Base64Length(usize len, B64 variant) {
  return variant == B64::kStandard ? (len + 2) / 3 * 4 : (len * 4 + 2) / 3;
}

Result<usize> Base64Encode(B64 variant, const u8* in, usize len, char* out, usize cap);
Result<usize> Base64Decode(B64 variant, const char* in, usize len, u8* out, usize cap);

}  // namespace pv::kbs_client

#endif  // PV_KBS_CLIENT_BASE64_H_
