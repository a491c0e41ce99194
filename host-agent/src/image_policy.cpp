#include "image_policy.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errno_status.h"

namespace pv::agent {

namespace {
constexpr uint32_t kMultibootMagic = 0x1BADB002;
constexpr size_t kMultibootSearch = 8192;

bool Inside(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

// No more writes, size changes or seals; read from the start.
absl::Status Seal(int memfd, const std::string& what) {
  if (::fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return ErrnoStatus("seal memfd of", what);
  }
  ::lseek(memfd, 0, SEEK_SET);
  return absl::OkStatus();
}

}  // namespace

std::string Clip(const std::string& value, size_t max) {
  if (value.size() <= max) return value;
  return absl::StrCat(value.substr(0, max), "... (", value.size(), " bytes)");
}

bool HasMultibootHeader(const std::string& head) {
  const size_t n = std::min(head.size(), kMultibootSearch);
  for (size_t off = 0; off + 12 <= n; off += 4) {
    uint32_t w[3];
    std::memcpy(w, head.data() + off, sizeof(w));
    if (w[0] == kMultibootMagic && static_cast<uint32_t>(w[0] + w[1] + w[2]) == 0) return true;
  }
  return false;
}

absl::StatusOr<ImagePolicy> ImagePolicy::Create(const std::vector<std::string>& dirs) {
  std::vector<std::string> resolved;
  for (const std::string& d : dirs) {
    char buf[PATH_MAX];
    struct stat st;
    if (::realpath(d.c_str(), buf) == nullptr || ::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat("--image-dir '", d, "' is not a directory"));
    }
    resolved.emplace_back(buf);
  }
  return ImagePolicy(std::move(resolved));
}

absl::StatusOr<UniqueFd> ImagePolicy::OpenChecked(const std::string& field, const std::string& path,
                                                  ImageKind kind, std::string* resolved) const {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  char buf[PATH_MAX];
  if (path.size() >= PATH_MAX || ::realpath(path.c_str(), buf) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " '", Clip(path), "': ", std::strerror(errno)));
  }
  *resolved = buf;
  bool allowed = false;
  for (const std::string& d : dirs_) allowed = allowed || Inside(*resolved, d);
  if (!allowed) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " '", Clip(path), "' is not under an image directory (configured: ",
                     dirs_.empty() ? "none, see --image-dir" : absl::StrJoin(dirs_, ", "), ")"));
  }
  // The resolved path has no symlinks left; O_NOFOLLOW refuses one swapped in since.
  UniqueFd fd(::open(resolved->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st;
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " '", Clip(path), "' is not a readable regular file"));
  }
  const uint64_t limit = kind == ImageKind::kFirmware ? kMaxFirmwareBytes : kMaxGuestBytes;
  if (static_cast<uint64_t>(st.st_size) > limit) {
    return absl::InvalidArgumentError(absl::StrCat(field, " '", Clip(path), "' has ", st.st_size,
                                                   " bytes, more than the limit of ", limit));
  }
  if (kind == ImageKind::kFirmware) {
    std::string head(kMultibootSearch, '\0');
    ssize_t n = ::pread(fd.get(), head.data(), head.size(), 0);
    head.resize(n > 0 ? n : 0);
    if (!HasMultibootHeader(head)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " '", Clip(path),
                       "' has no multiboot header in its first 8 KiB (not a paravisor "
                       "image)"));
    }
  }
  return fd;
}

absl::StatusOr<std::string> ImagePolicy::Check(const std::string& field, const std::string& path,
                                               ImageKind kind) const {
  std::string resolved;
  absl::StatusOr<UniqueFd> fd = OpenChecked(field, path, kind, &resolved);
  if (!fd.ok()) return fd.status();
  return resolved;
}

absl::StatusOr<UniqueFd> ImagePolicy::OpenSealed(const std::string& field, const std::string& path,
                                                 ImageKind kind) const {
  std::string resolved;
  absl::StatusOr<UniqueFd> src = OpenChecked(field, path, kind, &resolved);
  if (!src.ok()) return src.status();
  UniqueFd mem(::memfd_create("pv-image", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!mem.valid()) return ErrnoStatus("memfd_create for", resolved);
  char buf[1 << 16];
  uint64_t total = 0;
  const uint64_t limit = kind == ImageKind::kFirmware ? kMaxFirmwareBytes : kMaxGuestBytes;
  while (true) {
    ssize_t n = ::read(src->get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read", resolved);
    if (n == 0) break;
    total += n;
    if (total > limit)
      return absl::InvalidArgumentError(absl::StrCat(field, " grew past the limit"));
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(mem.get(), buf + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoStatus("copy into memfd", resolved);
      done += w;
    }
  }
  if (kind == ImageKind::kFirmware) {
    std::string head(kMultibootSearch, '\0');
    ssize_t n = ::pread(mem.get(), head.data(), head.size(), 0);
    head.resize(n > 0 ? n : 0);
    if (!HasMultibootHeader(head)) {
      return absl::InvalidArgumentError(absl::StrCat(field, " changed while it was read"));
    }
  }
  if (absl::Status s = Seal(mem.get(), resolved); !s.ok()) return s;
  return mem;
}

absl::StatusOr<UniqueFd> SealedMemfd(const std::string& what, std::span<const uint8_t> bytes) {
  UniqueFd mem(::memfd_create("pv-image", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!mem.valid()) return ErrnoStatus("memfd_create for", what);
  for (size_t done = 0; done < bytes.size();) {
    ssize_t w = ::write(mem.get(), bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoStatus("copy into memfd", what);
    done += static_cast<size_t>(w);
  }
  if (absl::Status s = Seal(mem.get(), what); !s.ok()) return s;
  return mem;
}

}  // namespace pv::agent
