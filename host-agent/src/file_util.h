// Small file helpers: whole-file read with a size limit, atomic replace (write temp + rename,
// so a crash never leaves a half-written state file).
#ifndef PV_HOST_AGENT_FILE_UTIL_H_
#define PV_HOST_AGENT_FILE_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "unique_fd.h"

namespace pv::agent {

absl::StatusOr<std::string> ReadFileLimited(const std::string& path, uint64_t max_bytes);
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);
absl::Status MakeDirectories(const std::string& path, int mode = 0700);
absl::Status RemoveTree(const std::string& path);
// A new file of `size` bytes (created or truncated, 0600), allocated rather than sparse: a file
// mapped while the file system is full would SIGBUS at the first touch; here that is ENOSPC
// (RESOURCE_EXHAUSTED), and the file is removed again.
absl::StatusOr<UniqueFd> CreateAllocatedFile(const std::string& path, uint64_t size);
int64_t UnixMillisNow();

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_FILE_UTIL_H_
