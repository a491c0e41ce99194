// The agent's side of QEMU's ivshmem server protocol (docs/specs/ivshmem-spec.txt), for one
// partition: the agent is peer 0 (it owns an eventfd QEMU signals when the paravisor writes the
// doorbell register), QEMU is peer 1 (its eventfd is how the agent would interrupt the
// paravisor). The server hands QEMU the shared-memory fd and both eventfds, then keeps the
// connection open for the life of the partition.
#ifndef PV_HOST_AGENT_IVSHMEM_SERVER_H_
#define PV_HOST_AGENT_IVSHMEM_SERVER_H_

#include <chrono>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "unique_fd.h"

namespace pv::agent {

class IvshmemServer {
 public:
  // Creates the listening socket (replacing a stale one) and both eventfds.
  static absl::StatusOr<IvshmemServer> Listen(const std::string& socket_path);
  // A server already connected to its client through a socket pair: `qemu_end` is handed to
  // QEMU as `-chardev socket,fd=N` (a confined QEMU opens no socket path).
  static absl::StatusOr<IvshmemServer> Pair(UniqueFd* qemu_end);

  // Accepts QEMU's connection and sends the setup messages. `alive` is polled so a QEMU that
  // died before connecting fails fast instead of waiting for the timeout.
  absl::Status AcceptAndSetup(int shm_fd, std::chrono::milliseconds timeout,
                              const std::function<bool()>& alive);

  int agent_eventfd() const { return agent_eventfd_.get(); }
  int paravisor_eventfd() const { return paravisor_eventfd_.get(); }
  const std::string& path() const { return path_; }

 private:
  IvshmemServer(std::string path, UniqueFd listener, UniqueFd agent_efd, UniqueFd pv_efd)
      : path_(std::move(path)),
        listener_(std::move(listener)),
        agent_eventfd_(std::move(agent_efd)),
        paravisor_eventfd_(std::move(pv_efd)) {}

  std::string path_;
  UniqueFd listener_;
  UniqueFd connection_;
  UniqueFd agent_eventfd_;
  UniqueFd paravisor_eventfd_;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_IVSHMEM_SERVER_H_
