// Files of the simulated secure processor's state: written atomically (temporary file, fsync,
// rename) with an explicit mode, so a crash never leaves a half-written key or document.
#ifndef PV_ATTEST_SIMSP_STATE_FILES_H_
#define PV_ATTEST_SIMSP_STATE_FILES_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace pv::attest::simsp {

// `durable` = fsync before the rename (keys and hierarchies); without it the file survives the
// process, not a host crash.
absl::Status WriteStateFile(const std::string& path, std::string_view data, mode_t mode,
                            bool durable = true);

// mkdir with `mode`; an existing directory is fine.
absl::Status MakeStateDir(const std::string& path, mode_t mode = 0700);

}  // namespace pv::attest::simsp

#endif  // PV_ATTEST_SIMSP_STATE_FILES_H_
