// Starting and watching one QEMU process.
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
#include "unique_fd.h"

namespace pv::agent {

struct QemuPaths {
  std::string qemu_binary;
  std::string firmware_log;  // paravisor serial (COM1)
  std::string qemu_log;      // QEMU's own stdout/stderr
  std::string qmp_socket;
  std::string ivshmem_socket;
  std::string launch_ram;  // tee != none: guest RAM file written by the measured launch
  std::string reset_rom;   // tee != none: the reset stub ROM (-bios)
};

// QEMU command line for a partition (the platform decides accelerator and CPU model).
std::vector<std::string> BuildQemuArgs(const pv::v1::Partition& partition, const QemuPaths& paths);

struct SpawnedProcess {
  pid_t pid = 0;
  UniqueFd pidfd;
};

absl::StatusOr<SpawnedProcess> SpawnProcess(const std::vector<std::string>& argv,
                                            const std::string& log_path);

// pidfd for an existing process, only if its command line contains `marker` (protects against
// a recycled pid belonging to something else).
absl::StatusOr<UniqueFd> AdoptProcess(pid_t pid, const std::string& marker);

bool ProcessAlive(int pidfd);
int SendSignal(int pidfd, int signal);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_QEMU_PROCESS_H_
