// JSON Canonicalization Scheme (RFC 8785), as trustee's attestation service applies it to the
// runtime data before hashing: object members sorted by the UTF-16 code units of their names,
// no insignificant whitespace, strings with the minimal escapes, numbers in ECMAScript form.
//
// Numbers: integers are printed exactly when |n| <= 2^53 (beyond that an IEEE double, which
// is what a JCS implementation sees, cannot represent them exactly, so they are refused);
// non-integers use the shortest round-trip digits in ECMAScript Number.prototype.toString
// layout. NaN and infinities cannot occur in parsed JSON.
#ifndef PV_KBS_JCS_H_
#define PV_KBS_JCS_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace pv::kbs {

absl::StatusOr<std::string> CanonicalJson(const nlohmann::json& value);

}  // namespace pv::kbs

#endif  // PV_KBS_JCS_H_
