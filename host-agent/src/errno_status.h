// absl::Status from errno, naming the operation and the object it failed on.
#ifndef PV_HOST_AGENT_ERRNO_STATUS_H_
#define PV_HOST_AGENT_ERRNO_STATUS_H_

#include <string.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace pv::agent {

inline absl::Status ErrnoStatus(absl::string_view what, absl::string_view object, int err = errno) {
  return absl::ErrnoToStatus(err, absl::StrCat(what, " ", object));
}

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_ERRNO_STATUS_H_
