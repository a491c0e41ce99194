// The mount-namespace jail a root agent's QEMU runs in.
//
// QEMU gets every partition file as a descriptor (qemu_process.h), so its filesystem view only
// needs what the binary itself loads: its libraries and data (/usr, read-only), a few device
// nodes, /proc (for /dev/fd/N, mounted hidepid=2: QEMU sees only its own processes) and the
// dynamic linker's cache. The child makes / private (nothing it mounts propagates back),
// mounts a tmpfs on the partition's empty `jail` directory, builds that view in it, remounts it
// read-only and pivots into it: /home, /root, /etc (but ld.so.cache), /var, /tmp, the state
// directory and every other partition are absent, not merely unreadable.
//
// The plan is computed in the agent (allocations, lstat, PATH lookup); EnterJail runs in the
// forked child and uses only async-signal-safe system calls on the plan's strings.
#ifndef PV_HOST_AGENT_QEMU_JAIL_H_
#define PV_HOST_AGENT_QEMU_JAIL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pv::agent {

struct JailStep {
  enum Kind { kDirectory, kSymlink, kBindDirectory, kBindFile } kind;
  std::string target;   // absolute path inside the jail root (root prefix included)
  std::string source;   // host path (bind) or link text (symlink)
  bool device = false;  // a device node: keep device access (no MS_NODEV)
};

struct JailPlan {
  std::string root;        // empty host directory the jail's tmpfs is mounted on
  std::string proc;        // root + "/proc"
  std::string executable;  // absolute path of the QEMU binary, as seen inside the jail
  std::vector<JailStep> steps;
};

// `root`: an existing empty directory. `qemu_binary`: a path or a name looked up in PATH; a
// binary outside the bind-mounted directories is bound into the jail at its own path (a test's
// wrapper script). `kvm`: also /dev/kvm.
absl::StatusOr<JailPlan> PlanJail(const std::string& root, const std::string& qemu_binary,
                                  bool kvm);

// In the forked child, as root, before dropping privileges: unshare the mount namespace and
// pivot into the jail. Returns nullptr on success, else what failed (errno is set).
const char* EnterJail(const JailPlan& plan);

// Whether this host lets the agent build a jail (a container may forbid mount namespaces):
// forks a child that enters a jail on `scratch_root` (an empty directory) and exits.
absl::Status ProbeJail(const std::string& scratch_root);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_QEMU_JAIL_H_
