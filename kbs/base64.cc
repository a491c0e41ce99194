#include "kbs/base64.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pv::kbs {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(attest::ByteSpan data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{data[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

std::array<int8_t, 256> ReverseTable(const char* alphabet) {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return table;
}

absl::StatusOr<attest::Bytes> Decode(std::string_view text, const char* alphabet, bool padded,
                                     const char* name) {
  static const std::array<int8_t, 256> kStdRev = ReverseTable(kStd);
  static const std::array<int8_t, 256> kUrlRev = ReverseTable(kUrl);
  const auto& rev = alphabet == kStd ? kStdRev : kUrlRev;
  if (padded) {
    if (text.size() % 4 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": length ", text.size(), " is not a multiple of 4"));
    }
    size_t pads = 0;
    while (pads < 2 && !text.empty() && text.back() == '=') {
      text.remove_suffix(1);
      ++pads;
    }
  }
  if (text.size() % 4 == 1) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": impossible length"));
  }
  attest::Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const int8_t v = rev[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": invalid character at offset ", i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": non-zero trailing bits"));
  }
  return out;
}

}  // namespace

std::string Base64Encode(attest::ByteSpan data) {
  return Encode(data, kStd, true);
}
std::string Base64UrlEncode(attest::ByteSpan data) {
  return Encode(data, kUrl, false);
}

absl::StatusOr<attest::Bytes> Base64Decode(std::string_view text) {
  return Decode(text, kStd, true, "base64");
}
absl::StatusOr<attest::Bytes> Base64UrlDecode(std::string_view text) {
  return Decode(text, kUrl, false, "base64url");
}

}  // namespace pv::kbs
