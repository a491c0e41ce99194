#include "unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "errno_status.h"

namespace pv::agent {

namespace {
bool FillAddress(const std::string& path, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() > MaxSocketPathLength()) return false;
  std::memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return true;
}
}  // namespace

size_t MaxSocketPathLength() {
  return sizeof(sockaddr_un::sun_path) - 1;
}

absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int backlog) {
  sockaddr_un addr;
  if (!FillAddress(path, &addr)) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path '", path, "' is longer than ", MaxSocketPathLength(), " bytes"));
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus("socket for", path);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoStatus("bind", path);
  }
  if (::listen(fd.get(), backlog) != 0) return ErrnoStatus("listen on", path);
  return fd;
}

PathOccupant ProbeSocketPath(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return PathOccupant::kNothing;
  if (!S_ISSOCK(st.st_mode)) return PathOccupant::kNotASocket;
  sockaddr_un addr;
  if (!FillAddress(path, &addr)) return PathOccupant::kNotASocket;
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return PathOccupant::kLiveSocket;  // cannot tell: assume someone is there
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    return PathOccupant::kLiveSocket;
  }
  return errno == ECONNREFUSED ? PathOccupant::kStaleSocket : PathOccupant::kLiveSocket;
}

}  // namespace pv::agent
