#include "attest/simsp/state_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace pv::attest::simsp {

absl::Status WriteStateFile(const std::string& path, std::string_view data, mode_t mode,
                            bool durable) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return absl::InternalError(absl::StrCat("create ", tmp, ": ", std::strerror(errno)));
  const bool ok = ::fchmod(fd, mode) == 0 &&
                  ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
                  (!durable || ::fsync(fd) == 0);
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(
        absl::StrCat("write ", path, ": ", std::strerror(ok ? errno : saved)));
  }
  return absl::OkStatus();
}

absl::Status MakeStateDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("create ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace pv::attest::simsp
