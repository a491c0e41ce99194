// Starting and watching one QEMU process.
//
// Confinement: QEMU opens no host path. The agent hands it every file as an inherited
// descriptor (images as sealed memfds read through /dev/fd/N, the serial log through an
// -add-fd set, the QMP listening socket and the ivshmem connection as chardev fds), runs it
// under `-sandbox on` with obsolete/elevateprivileges/spawn/resourcecontrol denied, and, when
// the agent is root, as an unprivileged user (all groups dropped, no_new_privs) in a network
// namespace of its own and a mount-namespace jail holding only what the binary loads
// (qemu_jail.h).
//
// QEMU runs in its own session (setsid), so a signal to the agent's process group does not
// reach it and it survives an agent crash for re-attachment. The agent holds a pidfd for it:
// readable when QEMU exits, also for a QEMU that is no longer the agent's child (re-attached).
#ifndef PV_HOST_AGENT_QEMU_PROCESS_H_
#define PV_HOST_AGENT_QEMU_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pv/v1/partition_manager.pb.h"
#include "qemu_jail.h"
#include "unique_fd.h"

namespace pv::agent {

struct QemuPaths {
  std::string qemu_binary;
  std::string firmware_log;  // paravisor serial (COM1)
  std::string qemu_log;      // QEMU's own stdout/stderr
  std::string qmp_socket;
  std::string ivshmem_socket;
};

// Descriptor numbers in QEMU (after SpawnProcess placed SpawnOptions::inherit_fds at 3, 4, ...).
struct QemuFds {
  int firmware_image = -1;  // sealed memfd: -kernel /dev/fd/N
  int guest_image = -1;     // sealed memfd: -initrd /dev/fd/N (-1: no guest)
  int serial_log = -1;      // firmware.log opened for writing: -add-fd set 1
  int qmp_listener = -1;    // listening Unix socket at qmp.sock
  int ivshmem = -1;         // connected end of the agent's ivshmem socket pair
  int linux_kernel = -1;    // sealed memfd: the Linux guest's bzImage module (-1: none)
  int linux_initrd = -1;    // sealed memfd: its initrd module (-1: none)
  int launch_ram = -1;      // tee != none: guest RAM file the agent wrote and measured
  int reset_rom = -1;       // tee != none: sealed memfd of the reset stub ROM (-bios)
};
inline constexpr int kFirstInheritedFd = 3;

// QEMU command line for a partition (the platform decides accelerator and CPU model).
std::vector<std::string> BuildQemuArgs(const pv::v1::Partition& partition, const QemuPaths& paths,
                                       const QemuFds& fds);

struct SpawnedProcess {
  pid_t pid = 0;
  UniqueFd pidfd;
};

// Who the child runs as: uid/gid -1 keeps the agent's (an agent that is not root).
struct Confinement {
  int uid = -1;
  int gid = -1;
  bool own_network_namespace = false;
  bool jail = false;  // a mount-namespace jail (qemu_jail.h) was probed to work on this host
};

struct SpawnOptions {
  std::vector<int> inherit_fds;  // become kFirstInheritedFd, kFirstInheritedFd + 1, ...
  Confinement confinement;
  const JailPlan* jail = nullptr;  // enter it (and exec its executable) before dropping root
};

absl::StatusOr<SpawnedProcess> SpawnProcess(const std::vector<std::string>& argv,
                                            const std::string& log_path,
                                            const SpawnOptions& options = {});

// The unprivileged account QEMU runs as: looked up, created (a system user with its own group,
// no home, no shell) if it is missing and `create` is set.
absl::StatusOr<Confinement> ResolveQemuUser(const std::string& user, bool create);

// pidfd for an existing process, only if its command line contains `marker` (protects against
// a recycled pid belonging to something else).
absl::StatusOr<UniqueFd> AdoptProcess(pid_t pid, const std::string& marker);

bool ProcessAlive(int pidfd);
int SendSignal(int pidfd, int signal);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_QEMU_PROCESS_H_
