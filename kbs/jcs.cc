#include "kbs/jcs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pv::kbs {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 64;
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

// UTF-16 code units of a UTF-8 string (input already validated by the JSON parser).
std::u16string ToUtf16(const std::string& s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 6) {
      cp = c & 0x1f;
      len = 2;
    } else if ((c >> 4) == 14) {
      cp = c & 0x0f;
      len = 3;
    } else {
      cp = c & 0x07;
      len = 4;
    }
    for (size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

void AppendString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          (void)std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

// ECMAScript Number::toString for a finite, non-integer-or-large double.
std::string EcmaNumber(double v) {
  if (v == 0) return "0";
  std::string sign = v < 0 ? "-" : "";
  v = std::fabs(v);
  char buf[64];
  // Shortest round-trip digits in scientific form: d[.ddd]e[+-]X.
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp10 = std::stoi(sci.substr(e + 1));
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // position of the decimal point relative to the digits
  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    const int x = n - 1;
    const std::string exp = absl::StrCat("e", x >= 0 ? "+" : "-", std::abs(x));
    out = k == 1 ? digits + exp : digits.substr(0, 1) + "." + digits.substr(1) + exp;
  }
  return sign + out;
}

absl::Status Append(const Json& v, int depth, std::string* out) {
  if (depth > kMaxDepth) return absl::InvalidArgumentError("JSON nested too deeply");
  switch (v.type()) {
    case Json::value_t::null:
      *out += "null";
      return absl::OkStatus();
    case Json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      return absl::OkStatus();
    case Json::value_t::number_integer: {
      const int64_t i = v.get<int64_t>();
      if (i > (int64_t{1} << 53) || i < -(int64_t{1} << 53)) {
        return absl::InvalidArgumentError("integer outside the exact IEEE double range");
      }
      *out += std::to_string(i);
      return absl::OkStatus();
    }
    case Json::value_t::number_unsigned: {
      const uint64_t u = v.get<uint64_t>();
      if (u > (uint64_t{1} << 53)) {
        return absl::InvalidArgumentError("integer outside the exact IEEE double range");
      }
      *out += std::to_string(u);
      return absl::OkStatus();
    }
    case Json::value_t::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d)) return absl::InvalidArgumentError("non-finite number");
      if (d == std::trunc(d) && std::fabs(d) <= kMaxExactInteger) {
        *out += std::to_string(static_cast<int64_t>(d));
      } else {
        *out += EcmaNumber(d);
      }
      return absl::OkStatus();
    }
    case Json::value_t::string:
      AppendString(v.get_ref<const std::string&>(), out);
      return absl::OkStatus();
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out->push_back(',');
        first = false;
        if (absl::Status s = Append(e, depth + 1, out); !s.ok()) return s;
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case Json::value_t::object: {
      std::vector<std::pair<std::u16string, const std::string*>> keys;
      for (auto it = v.begin(); it != v.end(); ++it)
        keys.emplace_back(ToUtf16(it.key()), &it.key());
      std::sort(keys.begin(), keys.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out->push_back('{');
      bool first = true;
      for (const auto& [utf16, key] : keys) {
        if (!first) out->push_back(',');
        first = false;
        AppendString(*key, out);
        out->push_back(':');
        if (absl::Status s = Append(v.at(*key), depth + 1, out); !s.ok()) return s;
      }
      out->push_back('}');
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("JSON value type has no canonical form");
  }
}

}  // namespace

absl::StatusOr<std::string> CanonicalJson(const nlohmann::json& value) {
  std::string out;
  if (absl::Status s = Append(value, 0, &out); !s.ok()) return s;
  return out;
}

}  // namespace pv::kbs
