#include "attest/common/time_util.h"

#include <ctime>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace pv::attest {
namespace {

bool ParseDigits(absl::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

absl::StatusOr<UnixTime> ParseRfc3339(absl::string_view text) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("time '", text, "' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"));
  };
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !ParseDigits(text, 5, 2, &month) || text[7] != '-' || !ParseDigits(text, 8, 2, &day)) {
    return bad();
  }
  if (text.size() > 10) {
    if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        !ParseDigits(text, 11, 2, &hour) || text.size() < 19 || text[13] != ':' ||
        !ParseDigits(text, 14, 2, &minute) || text[16] != ':' ||
        !ParseDigits(text, 17, 2, &second)) {
      return bad();
    }
    size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    }
    if (pos + 1 != text.size() || (text[pos] != 'Z' && text[pos] != 'z')) return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return bad();
  }
  std::tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<UnixTime>(timegm(&tm));
}

std::string FormatRfc3339(UnixTime t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm = {};
  gmtime_r(&tt, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

UnixTime CurrentUnixTime() {
  return static_cast<UnixTime>(std::time(nullptr));
}

}  // namespace pv::attest
