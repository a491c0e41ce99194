// Measured launch of a tee != none partition on QEMU 7.2: before QEMU starts, the agent writes
// every page of the launch (attest/measure/launch_image.h) into the partition's RAM file --
// measuring each page as it writes it, through the same function `pvattest measure` runs -- and
// the reset stub ROM into a sealed memfd (and reset.rom, for inspection). QEMU gets both as
// descriptors, maps the RAM file as the guest RAM (memory-backend-file on /dev/fd/N, share=on)
// and starts at the reset stub (-bios /dev/fd/N), which enters the
// paravisor's multiboot entry: no SeaBIOS, no -kernel loader, nothing unmeasured runs first.
// The secrets page carries the VMPCKs of the partition's SIMULATED secure processor.
#ifndef PV_HOST_AGENT_MEASURED_LAUNCH_H_
#define PV_HOST_AGENT_MEASURED_LAUNCH_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/measure/launch_files.h"
#include "attest/measure/launch_image.h"
#include "pv/v1/partition_manager.pb.h"
#include "unique_fd.h"

namespace pv::agent {

struct MeasuredLaunchPaths {
  std::string ram;        // guest RAM file in the state directory (kept for re-attach)
  std::string reset_rom;  // the reset stub as written and measured (a copy for inspection)
};

// What the launch reads: the images as the agent checked them (e.g. /proc/self/fd/N of their
// sealed memfds, so the bytes measured are the bytes checked).
struct MeasuredLaunchImages {
  std::string firmware;
  std::string guest;  // empty: no guest module
};

// The written launch, handed to QEMU by descriptor: it never opens a state-directory path.
struct MeasuredLaunch {
  attest::measure::LaunchMeasurement measurement;
  UniqueFd ram;        // the RAM file, read-write (memory-backend-file mem-path=/dev/fd/N)
  UniqueFd reset_rom;  // sealed memfd of the ROM (-bios /dev/fd/N)
};

// Descriptor numbers in QEMU of MeasuredLaunch's files.
struct MeasuredLaunchFds {
  int ram = -1;
  int reset_rom = -1;
};

// The spec fields a measured launch adds or narrows (memory, command lines, policy ids).
absl::Status ValidateMeasuredLaunchSpec(const pv::v1::PartitionSpec& spec);

// Writes the RAM file and the ROM, returns the measurement computed while writing and the two
// files open. `ram_owner` (uid, gid; -1 keeps the agent's) becomes the RAM file's owner, so an
// unprivileged QEMU can reopen it through /dev/fd/N.
absl::StatusOr<MeasuredLaunch> WriteMeasuredLaunch(const pv::v1::PartitionSpec& spec,
                                                   const MeasuredLaunchImages& images,
                                                   const MeasuredLaunchPaths& paths,
                                                   std::span<const uint8_t> secrets_page,
                                                   int ram_uid, int ram_gid);

// QEMU arguments replacing -kernel/-initrd/-append for a measured launch.
std::vector<std::string> MeasuredLaunchQemuArgs(const pv::v1::PartitionSpec& spec,
                                                const MeasuredLaunchFds& fds);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_MEASURED_LAUNCH_H_
