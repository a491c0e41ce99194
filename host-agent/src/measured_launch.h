// Measured launch of a tee != none partition on QEMU 7.2: before QEMU starts, the agent writes
// every page of the launch (attest/measure/launch_image.h) into the partition's RAM file --
// measuring each page as it writes it, through the same function `pvattest measure` runs -- and
// the reset stub ROM into reset.rom. QEMU then maps that file as the guest RAM
// (memory-backend-file, share=on) and starts at the reset stub (-bios), which enters the
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

namespace pv::agent {

struct MeasuredLaunchPaths {
  std::string ram;        // guest RAM file (memory-backend-file mem-path)
  std::string reset_rom;  // the reset stub as written and measured (-bios)
};

// The spec fields a measured launch adds or narrows (memory, command lines, policy ids).
absl::Status ValidateMeasuredLaunchSpec(const pv::v1::PartitionSpec& spec);

// Writes the RAM file and the ROM, returns the measurement computed while writing.
absl::StatusOr<attest::measure::LaunchMeasurement> WriteMeasuredLaunch(
    const pv::v1::PartitionSpec& spec, const MeasuredLaunchPaths& paths,
    std::span<const uint8_t> secrets_page);

// QEMU arguments replacing -kernel/-initrd/-append for a measured launch.
std::vector<std::string> MeasuredLaunchQemuArgs(const pv::v1::PartitionSpec& spec,
                                                const MeasuredLaunchPaths& paths);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_MEASURED_LAUNCH_H_
