// Trust anchors. The SHA-256 fingerprints (of the DER encoding) of AMD's ARKs and Intel's SGX
// root CA are compiled in; a root certificate from a file or a trust directory is used only if
// its fingerprint is one of them, or if the operator explicitly allowed that exact file
// (`--allow-root`, for synthetic test hierarchies).
#ifndef PV_ATTEST_COMMON_TRUST_ANCHORS_H_
#define PV_ATTEST_COMMON_TRUST_ANCHORS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attest/common/cert_util.h"
#include "attest/common/openssl_ptr.h"

namespace pv::attest {

struct PinnedRoot {
  absl::string_view name;     // e.g. "ARK-Milan"
  absl::string_view vendor;   // "amd" or "intel"
  absl::string_view product;  // "Milan", "Genoa", "Turin", or "SGX" for Intel
  absl::string_view sha256_hex;
};

// Every compiled-in root.
const std::vector<PinnedRoot>& PinnedRoots();

// The pinned root whose fingerprint is `digest`, if any.
std::optional<PinnedRoot> FindPinnedRoot(const Sha256Digest& digest);

// A root certificate that passed admission, with where its trust came from.
struct TrustedRoot {
  X509Ptr cert;
  Sha256Digest sha256{};
  bool pinned = false;  // fingerprint is compiled in
  std::string vendor;   // from the pin ("amd"/"intel"), or "" for an allowed test root
  std::string product;  // from the pin, or "" for an allowed test root
  std::string source;   // file name it was loaded from, for messages
};

// The set of roots a verification may end in.
class TrustStore {
 public:
  TrustStore() = default;
  TrustStore(TrustStore&&) = default;
  TrustStore& operator=(TrustStore&&) = default;

  // Admits a root only if it is self-signed and pinned. Errors name `source`.
  absl::Status AddPinned(X509Ptr cert, absl::string_view source);
  // Admits a self-signed root without a pin (the explicit `--allow-root` path).
  absl::Status AddAllowed(X509Ptr cert, absl::string_view source);

  // Loads every *.pem/*.der/*.crt/*.cer file in `dir`; each certificate in them that is a
  // pinned root is admitted. Certificates that are not pinned roots are skipped and listed in
  // `skipped` (with the reason) so the caller can report them; unreadable files are errors.
  absl::Status LoadDirectory(const std::string& dir, std::vector<std::string>* skipped);
  // Loads every certificate of a file through AddAllowed (`--allow-root FILE`).
  absl::Status LoadAllowedFile(const std::string& path);

  // The admitted root with this fingerprint, or null.
  const TrustedRoot* Find(const Sha256Digest& digest) const;
  const std::vector<TrustedRoot>& roots() const { return roots_; }

 private:
  absl::Status Add(X509Ptr cert, absl::string_view source, bool require_pin);
  std::vector<TrustedRoot> roots_;
};

// True if `cert` is self-issued and its signature verifies with its own key.
bool IsSelfSigned(const X509* cert);

}  // namespace pv::attest

#endif  // PV_ATTEST_COMMON_TRUST_ANCHORS_H_
