#include "kbs/byte_arrays.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pv::kbs {
namespace {

using Json = nlohmann::json;

// The placeholder as it appears in JSON text and as nlohmann decodes it. NUL can only be
// written as \u0000 in a JSON string (hex digits without letters: no other spelling).
constexpr std::string_view kMarkerText = "\\u0000pv-bytes:";
constexpr std::string_view kMarkerValue{"\0pv-bytes:", 10};
constexpr int kMaxStack = 64;  // max_depth beyond it: the depth is bounded, arrays not decoded

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t SkipSpace(std::string_view t, size_t i) {
  while (i < t.size() && IsSpace(t[i])) ++i;
  return i;
}

// At t[i] == '[': the array's bytes if it is only integer literals 0..255 (JSON's own form: no
// sign, fraction, exponent or leading zero) and at least kMinByteArray of them; `end` is the
// index after its ']'.
bool DecodeByteArray(std::string_view t, size_t i, size_t* end, std::vector<uint8_t>* out) {
  out->clear();
  i = SkipSpace(t, i + 1);
  while (true) {
    if (i >= t.size() || t[i] < '0' || t[i] > '9') return false;
    unsigned value = 0;
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (i - start == 3) return false;
      value = value * 10 + static_cast<unsigned>(t[i] - '0');
      ++i;
    }
    if ((t[start] == '0' && i - start > 1) || value > 255) return false;
    if (i < t.size() && (t[i] == '.' || t[i] == 'e' || t[i] == 'E')) return false;
    out->push_back(static_cast<uint8_t>(value));
    i = SkipSpace(t, i);
    if (i >= t.size()) return false;
    if (t[i] == ']') break;
    if (t[i] != ',') return false;
    i = SkipSpace(t, i + 1);
  }
  *end = i + 1;
  return out->size() >= kMinByteArray;
}

// Swaps the placeholders back for the bytes (depth bounded by the scan's stack limit).
void Restore(Json* j, std::vector<std::vector<uint8_t>>* arrays) {
  if (j->is_string()) {
    const std::string& s = j->get_ref<const std::string&>();
    if (s.size() > kMarkerValue.size() && s.compare(0, kMarkerValue.size(), kMarkerValue) == 0) {
      // Only the scan wrote placeholders (the text had none), so the index is one of its own.
      size_t index = 0;
      for (size_t k = kMarkerValue.size(); k < s.size() && index < arrays->size(); ++k) {
        index = index * 10 + static_cast<size_t>(s[k] - '0');
      }
      if (index < arrays->size()) *j = Json::binary(std::move((*arrays)[index]));
    }
  } else if (j->is_structured()) {
    for (Json& child : *j) Restore(&child, arrays);
  }
}

}  // namespace

bool JsonDepthWithin(std::string_view text, int limit) {
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;  // (an unbalanced close is the parser's error; it must not buy depth)
    }
  }
  return true;
}

Json ParseJsonWithByteArrays(std::string_view text, ByteArrayScope scope, int max_depth,
                             bool* too_deep) {
  *too_deep = false;
  // The plain path, for texts the scan does not handle: depth check, then nlohmann.
  auto plain = [&] {
    if (!JsonDepthWithin(text, max_depth)) {
      *too_deep = true;
      return Json(Json::value_t::discarded);
    }
    return Json::parse(text.begin(), text.end(), nullptr, false);
  };
  if (max_depth >= kMaxStack || text.find(kMarkerText) != std::string_view::npos) {
    return plain();
  }
  bool is_object[kMaxStack];
  int depth = 0;
  // What the previous significant character allows next: a value (document start, ':',
  // '[' or ',' in an array) or not (a key position, or after a value).
  bool value_position = true;
  bool in_evidence = scope == ByteArrayScope::kWholeDocument;
  std::string rewritten;
  std::vector<std::vector<uint8_t>> arrays;
  std::vector<uint8_t> bytes;
  size_t copied = 0;  // text[copied..] is not yet in `rewritten`
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      const size_t start = i + 1;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      if (i >= text.size()) return plain();  // unterminated: nlohmann says why
      const std::string_view raw = text.substr(start, i - start);
      ++i;
      const size_t next = SkipSpace(text, i);
      if (depth == 1 && is_object[0] && next < text.size() && text[next] == ':' &&
          scope == ByteArrayScope::kTeeEvidence) {
        in_evidence = raw == "tee-evidence";  // a top-level key: entering its value
      }
      value_position = false;
      continue;
    }
    if (c == '[' && value_position && in_evidence) {
      size_t end = 0;
      if (depth + 1 <= max_depth && DecodeByteArray(text, i, &end, &bytes)) {
        rewritten.append(text.substr(copied, i - copied));
        rewritten.append("\"").append(kMarkerText).append(std::to_string(arrays.size()));
        rewritten.append("\"");
        arrays.push_back(bytes);
        copied = i = end;
        value_position = false;
        continue;
      }
    }
    switch (c) {
      case '{':
      case '[':
        if (depth == max_depth) {
          *too_deep = true;
          return Json(Json::value_t::discarded);
        }
        is_object[depth++] = c == '{';
        value_position = c == '[';
        break;
      case '}':
      case ']':
        if (depth > 0) --depth;
        if (depth == 1 && scope == ByteArrayScope::kTeeEvidence) in_evidence = false;
        value_position = false;
        break;
      case ':':
        value_position = true;
        break;
      case ',':
        value_position = depth > 0 && !is_object[depth - 1];
        if (depth == 1 && scope == ByteArrayScope::kTeeEvidence) in_evidence = false;
        break;
      default:
        if (!IsSpace(c)) value_position = false;
        break;
    }
    ++i;
  }
  if (arrays.empty()) return plain();
  rewritten.append(text.substr(copied));
  Json j = Json::parse(rewritten.begin(), rewritten.end(), nullptr, false);
  if (!j.is_discarded()) Restore(&j, &arrays);
  return j;
}

}  // namespace pv::kbs
