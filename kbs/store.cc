#include "kbs/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "kbs/kbs_error.h"

namespace pv::kbs {
namespace {

namespace fs = std::filesystem;

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir " + path);
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open " + dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("fsync " + dir);
}

// [A-Za-z0-9][A-Za-z0-9._-]{0,127}, checked by hand: std::regex costs microseconds per match
// on the release path (three components per request).
bool ValidComponent(const std::string& s) {
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (s.empty() || s.size() > 128 || !alnum(s[0])) return false;
  for (char c : s) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ResourcePath> ParseResourcePath(const std::string& repo, const std::string& type,
                                               const std::string& tag) {
  for (const std::string* c : {&repo, &type, &tag}) {
    if (!ValidComponent(*c)) {
      return KbsError(absl::StatusCode::kInvalidArgument, "InvalidRequest",
                      "resource path components must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    }
  }
  return ResourcePath{repo, type, tag};
}

absl::StatusOr<ResourcePath> ParseResourcePath(const std::string& joined) {
  std::vector<std::string> parts = absl::StrSplit(joined, '/');
  if (parts.size() != 3) {
    return KbsError(absl::StatusCode::kInvalidArgument, "InvalidRequest",
                    "resource path must be repo/type/tag");
  }
  return ParseResourcePath(parts[0], parts[1], parts[2]);
}

absl::Status AtomicWriteFile(const std::string& path, attest::ByteSpan data) {
  const std::string dir = fs::path(path).parent_path().string();
  std::string tmpl = dir + "/.tmp-XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return Errno("create temporary file in " + dir);
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t done = 0;
  while (ok && done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmpl.c_str(), path.c_str()) != 0) {
    absl::Status s = Errno("write " + path);
    ::unlink(tmpl.c_str());
    return s;
  }
  return SyncDir(dir);
}

absl::StatusOr<Store> Store::Open(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("--store: empty path");
  if (absl::Status s = MakeDir(dir); !s.ok()) return s;
  if (absl::Status s = MakeDir(dir + "/resources"); !s.ok()) return s;
  return Store(dir);
}

std::string Store::ResourceFile(const ResourcePath& p) const {
  return absl::StrCat(dir_, "/resources/", p.repo, "/", p.type, "/", p.tag);
}

absl::Status Store::PutResource(const ResourcePath& p, attest::ByteSpan value) {
  if (value.size() > kMaxResourceBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource larger than ", kMaxResourceBytes, " bytes"));
  }
  if (absl::Status s = MakeDir(absl::StrCat(dir_, "/resources/", p.repo)); !s.ok()) return s;
  if (absl::Status s = MakeDir(absl::StrCat(dir_, "/resources/", p.repo, "/", p.type)); !s.ok()) {
    return s;
  }
  return AtomicWriteFile(ResourceFile(p), value);
}

absl::StatusOr<attest::Bytes> Store::GetResource(const ResourcePath& p) const {
  struct stat st {};
  if (::stat(ResourceFile(p).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return KbsError(absl::StatusCode::kNotFound, "ResourceNotFound",
                    absl::StrCat("no resource ", p.ToString()));
  }
  return attest::ReadFileBytes(ResourceFile(p), kMaxResourceBytes);
}

absl::Status Store::DeleteResource(const ResourcePath& p) {
  if (::unlink(ResourceFile(p).c_str()) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no resource ", p.ToString()));
    return Errno("delete " + p.ToString());
  }
  return SyncDir(absl::StrCat(dir_, "/resources/", p.repo, "/", p.type));
}

absl::StatusOr<std::vector<std::string>> Store::ListResources() const {
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path root = fs::path(dir_) / "resources";
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it.depth() == 2 && it->is_regular_file(ec)) {
      const std::string rel = fs::relative(it->path(), root, ec).string();
      if (ParseResourcePath(rel).ok()) out.push_back(rel);
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("list resources: ", ec.message()));
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status Store::PutPolicy(const std::string& text) {
  return AtomicWriteFile(
      dir_ + "/policy.json",
      attest::ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

absl::StatusOr<std::string> Store::GetPolicy() const {
  struct stat st {};
  if (::stat((dir_ + "/policy.json").c_str(), &st) != 0) {
    return absl::NotFoundError("no policy.json in the store");
  }
  auto bytes = attest::ReadFileBytes(dir_ + "/policy.json", size_t{1024} * 1024);
  if (!bytes.ok()) return bytes.status();
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace pv::kbs
