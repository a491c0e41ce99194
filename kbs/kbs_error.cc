#include "kbs/kbs_error.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace pv::kbs {
namespace {
constexpr absl::string_view kTypePayload = "pv-kbs/error-type";

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}
}  // namespace

absl::Status KbsError(absl::StatusCode code, absl::string_view type, absl::string_view detail) {
  absl::Status s(code, detail);
  s.SetPayload(kTypePayload, absl::Cord(type));
  return s;
}

HttpError ToHttpError(const absl::Status& status) {
  std::string type = "InternalError";
  if (auto p = status.GetPayload(kTypePayload)) type = std::string(*p);
  const nlohmann::json body = {{"type", absl::StrCat(kErrorTypePrefix, type)},
                               {"detail", std::string(status.message())}};
  // Hostile bytes may appear in details; never let them break the response.
  return HttpError{HttpStatusFor(status.code()),
                   body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace pv::kbs
