// The KBS's directory store. Layout under DIR:
//   resources/<repo>/<type>/<tag>   resource bytes (mode 0600)
//   policy.json                     the KBS policy (kbs_policy.h)
//   token-key.pem                   the attestation-token signing key (created on first start)
//   decisions.log                   one JSON line per decision (decision_log.h)
// Every write is atomic: a temporary file in the same directory is written, fsync'd and
// renamed over the target, then the directory is fsync'd, so a crash leaves the old or the new
// content, never a torn one. Path components are [A-Za-z0-9][A-Za-z0-9._-]{0,127}, so no
// request can name a file outside resources/.
#ifndef PV_KBS_STORE_H_
#define PV_KBS_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "attest/common/bytes.h"

namespace pv::kbs {

inline constexpr size_t kMaxResourceBytes = 1024 * 1024;

struct ResourcePath {
  std::string repo, type, tag;
  std::string ToString() const { return repo + "/" + type + "/" + tag; }
};

absl::StatusOr<ResourcePath> ParseResourcePath(const std::string& repo, const std::string& type,
                                               const std::string& tag);
absl::StatusOr<ResourcePath> ParseResourcePath(const std::string& joined);  // "repo/type/tag"

class Store {
 public:
  // Creates DIR (mode 0700) and resources/ if missing.
  static absl::StatusOr<Store> Open(const std::string& dir);

  absl::Status PutResource(const ResourcePath& path, attest::ByteSpan value);
  absl::StatusOr<attest::Bytes> GetResource(const ResourcePath& path) const;  // NotFound
  absl::Status DeleteResource(const ResourcePath& path);
  absl::StatusOr<std::vector<std::string>> ListResources() const;

  absl::Status PutPolicy(const std::string& text);
  absl::StatusOr<std::string> GetPolicy() const;  // NotFound when none was set

  const std::string& dir() const { return dir_; }
  std::string TokenKeyPath() const { return dir_ + "/token-key.pem"; }
  std::string DecisionLogPath() const { return dir_ + "/decisions.log"; }

 private:
  explicit Store(std::string dir) : dir_(std::move(dir)) {}
  std::string ResourceFile(const ResourcePath& path) const;
  std::string dir_;
};

// Atomic replace of `path` with `data` (mode 0600), as described above.
absl::Status AtomicWriteFile(const std::string& path, attest::ByteSpan data);

}  // namespace pv::kbs

#endif  // PV_KBS_STORE_H_
