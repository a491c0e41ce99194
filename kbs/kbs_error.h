// Errors the KBS returns to attesters, in trustee's shape: an HTTP status and a JSON body
// {"type":"https://github.com/confidential-containers/kbs/errors/<Type>","detail":"..."}.
// Carried as absl::Status with the trustee error type in a payload, so the core service stays
// independent of the HTTP layer.
#ifndef PV_KBS_KBS_ERROR_H_
#define PV_KBS_KBS_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pv::kbs {

inline constexpr absl::string_view kErrorTypePrefix =
    "https://github.com/confidential-containers/kbs/errors/";

// `type` is the trustee error name (InvalidRequest, MissingCookie, ExpiredCookie, ...).
absl::Status KbsError(absl::StatusCode code, absl::string_view type, absl::string_view detail);

struct HttpError {
  int status = 500;
  std::string body;  // the JSON error document
};
HttpError ToHttpError(const absl::Status& status);

}  // namespace pv::kbs

#endif  // PV_KBS_KBS_ERROR_H_
