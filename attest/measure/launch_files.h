// Reads a launch's inputs from files, for both `pvattest measure` and the host agent, so the
// same files always give the same inputs (and digests). Every file is size-limited before it
// is read; errors name the file.
#ifndef PV_ATTEST_MEASURE_LAUNCH_FILES_H_
#define PV_ATTEST_MEASURE_LAUNCH_FILES_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/measure/launch_image.h"

namespace pv::attest::measure {

struct LaunchFiles {
  std::string firmware;
  std::string firmware_cmdline;
  std::vector<std::string> guests;
  std::vector<std::string> guest_cmdlines;  // by index; missing = empty
  uint64_t memory_mib = 256;
  uint32_t vcpus = 1;
  std::string reset_rom;  // empty: `embedded_reset_rom`
  std::span<const uint8_t> embedded_reset_rom;
};

absl::StatusOr<LaunchInputs> LoadLaunchInputs(const LaunchFiles& files);

std::string HexDigest(const Sha384& d);

}  // namespace pv::attest::measure

#endif  // PV_ATTEST_MEASURE_LAUNCH_FILES_H_
