// Verification time handling. Every verification takes an explicit "now" so results are
// reproducible (certificates and collateral expire); these helpers parse and print it.
#ifndef PV_ATTEST_COMMON_TIME_UTIL_H_
#define PV_ATTEST_COMMON_TIME_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pv::attest {

// Seconds since the Unix epoch, UTC.
using UnixTime = int64_t;

// Parses "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC only, optional fractional seconds ignored) or
// "YYYY-MM-DD" (midnight UTC).
absl::StatusOr<UnixTime> ParseRfc3339(absl::string_view text);

// Formats as "YYYY-MM-DDTHH:MM:SSZ".
std::string FormatRfc3339(UnixTime t);

UnixTime CurrentUnixTime();

}  // namespace pv::attest

#endif  // PV_ATTEST_COMMON_TIME_UTIL_H_
