// Unix stream sockets bound to a path: listening (with the path length checked) and probing
// what exists at a path before an agent takes it over.
#ifndef PV_HOST_AGENT_UNIX_SOCKET_H_
#define PV_HOST_AGENT_UNIX_SOCKET_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "unique_fd.h"

namespace pv::agent {

// sizeof(sockaddr_un::sun_path) - 1: the longest path a socket can be bound to.
size_t MaxSocketPathLength();

// Binds and listens (backlog `backlog`); the path must not exist.
absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int backlog);

enum class PathOccupant { kNothing, kLiveSocket, kStaleSocket, kNotASocket };
// kLiveSocket: something accepts connections there; kStaleSocket: a socket nobody answers on.
PathOccupant ProbeSocketPath(const std::string& path);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_UNIX_SOCKET_H_
