#include "ivshmem_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "errno_status.h"
#include "ring/ring_layout.h"

namespace pv::agent {

namespace {

constexpr int64_t kIvshmemProtocolVersion = 0;

// One server message: a little-endian int64, optionally with one fd (SCM_RIGHTS).
absl::Status SendMessage(int sock, int64_t value, int fd) {
  msghdr msg{};
  iovec iov{&value, sizeof(value)};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  while (true) {
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof(value))) return ErrnoStatus("send ivshmem message", "");
    return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<IvshmemServer> IvshmemServer::Listen(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", socket_path));
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  ::unlink(socket_path.c_str());
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener.valid()) return ErrnoStatus("socket", socket_path);
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoStatus("bind", socket_path);
  }
  if (::listen(listener.get(), 1) != 0) return ErrnoStatus("listen", socket_path);
  UniqueFd agent_efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  UniqueFd pv_efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!agent_efd.valid() || !pv_efd.valid()) return ErrnoStatus("eventfd", socket_path);
  return IvshmemServer(socket_path, std::move(listener), std::move(agent_efd), std::move(pv_efd));
}

absl::StatusOr<IvshmemServer> IvshmemServer::Pair(UniqueFd* qemu_end) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoStatus("socketpair", "for the ivshmem server");
  }
  qemu_end->Reset(sv[1]);
  UniqueFd agent_efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  UniqueFd pv_efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!agent_efd.valid() || !pv_efd.valid()) return ErrnoStatus("eventfd", "for ivshmem");
  IvshmemServer server("", UniqueFd(), std::move(agent_efd), std::move(pv_efd));
  server.connection_.Reset(sv[0]);
  return server;
}

absl::Status IvshmemServer::AcceptAndSetup(int shm_fd, std::chrono::milliseconds timeout,
                                           const std::function<bool()>& alive) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!connection_.valid()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("QEMU did not connect to the ivshmem server ", path_));
    }
    if (!alive()) {
      return absl::UnavailableError("QEMU exited before connecting to the ivshmem server");
    }
    pollfd pfd{listener_.get(), POLLIN, 0};
    ::poll(&pfd, 1, 20);
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) connection_.Reset(fd);
  }
  const int sock = connection_.get();
  // 1. protocol version, 2. the client's id, 3. -1 + shared memory fd.
  absl::Status s = SendMessage(sock, kIvshmemProtocolVersion, -1);
  if (s.ok()) s = SendMessage(sock, proxy::kParavisorPeerId, -1);
  if (s.ok()) s = SendMessage(sock, -1, shm_fd);
  // 4. the agent as an existing peer: the fd QEMU signals for doorbell (agent, vector 0).
  if (s.ok()) s = SendMessage(sock, proxy::kAgentPeerId, agent_eventfd_.get());
  // 5. interrupt setup: the fd QEMU listens on for its own vector 0.
  if (s.ok()) s = SendMessage(sock, proxy::kParavisorPeerId, paravisor_eventfd_.get());
  // Nobody else connects to this partition's server.
  listener_.Reset();
  if (!path_.empty()) ::unlink(path_.c_str());
  return s;
}

}  // namespace pv::agent
