#include "kbs/jwt.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "kbs/base64.h"
#include "kbs/byte_arrays.h"
#include "kbs/kbs_error.h"

namespace pv::kbs {
namespace {

using Json = nlohmann::json;
constexpr int kMaxTokenDepth = 8;

absl::Status Invalid(const std::string& detail) {
  return KbsError(absl::StatusCode::kUnauthenticated, "InvalidToken",
                  absl::StrCat("attestation token: ", detail));
}

absl::StatusOr<Json> DecodeObject(std::string_view part, const char* what) {
  auto bytes = Base64UrlDecode(part);
  if (!bytes.ok()) return Invalid(absl::StrCat(what, " is not base64url"));
  const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (!JsonDepthWithin(text, kMaxTokenDepth))
    return Invalid(absl::StrCat(what, " nested too deeply"));
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Invalid(absl::StrCat(what, " is not a JSON object"));
  }
  return j;
}

}  // namespace

absl::StatusOr<CompactJwt> ParseCompactJwt(std::string_view token) {
  if (token.empty()) return Invalid("empty");
  if (token.size() > kMaxTokenBytes) {
    return Invalid(absl::StrCat(token.size(), " bytes exceeds ", kMaxTokenBytes));
  }
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Invalid("not three dot-separated parts (compact JWS)");
  }
  auto header = DecodeObject(token.substr(0, first), "header");
  if (!header.ok()) return header.status();
  for (auto it = header->begin(); it != header->end(); ++it) {
    if (it.key() != "alg" && it.key() != "typ") {
      return Invalid(absl::StrCat("header member \"", it.key().substr(0, 16),
                                  "\" is not one this KBS issues"));
    }
  }
  auto alg = header->find("alg");
  if (alg == header->end() || *alg != "ES256") return Invalid("header alg must be ES256");
  auto typ = header->find("typ");
  if (typ != header->end() && *typ != "JWT") return Invalid("header typ must be JWT");
  auto claims = DecodeObject(token.substr(first + 1, second - first - 1), "payload");
  if (!claims.ok()) return claims.status();
  auto signature = Base64UrlDecode(token.substr(second + 1));
  if (!signature.ok() || signature->size() != 64) {
    return Invalid("signature is not 64 bytes of base64url (ES256 r || s)");
  }
  return CompactJwt{std::string(token.substr(0, second)), std::move(*claims),
                    std::move(*signature)};
}

std::string BearerToken(std::string_view authorization) {
  if (authorization.size() > kMaxTokenBytes + 64) return "";
  absl::string_view value =
      absl::StripAsciiWhitespace(absl::string_view(authorization.data(), authorization.size()));
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) return "";
  return std::string(absl::StripAsciiWhitespace(value.substr(7)));
}

}  // namespace pv::kbs
