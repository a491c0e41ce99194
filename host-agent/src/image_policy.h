// Which image files a caller may hand to QEMU, and how they reach it.
//
// A partition's firmware and guest images must resolve (after every symlink) to a regular file
// inside one of the configured image directories (--image-dir); anything else is
// INVALID_ARGUMENT naming the field. The firmware must carry a multiboot (v1) header, the only
// format QEMU's -kernel boots here. At start the agent opens the file itself (O_NOFOLLOW on the
// resolved path, checked again), copies it into a sealed memfd and hands QEMU that descriptor
// as /dev/fd/N: the unprivileged QEMU never opens a host path, and the bytes it boots are the
// bytes that were checked.
#ifndef PV_HOST_AGENT_IMAGE_POLICY_H_
#define PV_HOST_AGENT_IMAGE_POLICY_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "unique_fd.h"

namespace pv::agent {

enum class ImageKind { kFirmware, kGuest };

class ImagePolicy {
 public:
  static constexpr uint64_t kMaxFirmwareBytes = 64ull << 20;
  static constexpr uint64_t kMaxGuestBytes = 256ull << 20;

  // Directories are resolved now; a directory that does not exist is an error.
  static absl::StatusOr<ImagePolicy> Create(const std::vector<std::string>& dirs);

  // Resolves `path` (the field is named in errors), checks directory, type, size and, for the
  // firmware, the multiboot header. Returns the resolved path to record.
  absl::StatusOr<std::string> Check(const std::string& field, const std::string& path,
                                    ImageKind kind) const;
  // Check, then a sealed read-only memfd holding the image.
  absl::StatusOr<UniqueFd> OpenSealed(const std::string& field, const std::string& path,
                                      ImageKind kind) const;

  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  explicit ImagePolicy(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {}
  absl::StatusOr<UniqueFd> OpenChecked(const std::string& field, const std::string& path,
                                       ImageKind kind, std::string* resolved) const;

  std::vector<std::string> dirs_;
};

// First bytes of a multiboot v1 header (magic, flags, checksum) in the first 8 KiB, 4-aligned.
bool HasMultibootHeader(const std::string& head);

// A sealed read-only memfd holding `bytes` (`what` names it in errors).
absl::StatusOr<UniqueFd> SealedMemfd(const std::string& what, std::span<const uint8_t> bytes);

// At most `max` characters of a caller-supplied value for an error message.
std::string Clip(const std::string& value, size_t max = 64);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_IMAGE_POLICY_H_
