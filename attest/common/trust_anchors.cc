#include "attest/common/trust_anchors.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "attest/common/bytes.h"

namespace pv::attest {

const std::vector<PinnedRoot>& PinnedRoots() {
  // SHA-256 of the DER certificates. AMD publishes the ARKs at
  // https://kdsintf.amd.com/vcek/v1/<product>/cert_chain; the VLEK chains end in the same ARKs.
  static const std::vector<PinnedRoot> kRoots = {
      {"ARK-Milan", "amd", "Milan",
       "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"},
      {"ARK-Genoa", "amd", "Genoa",
       "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1"},
      {"ARK-Turin", "amd", "Turin",
       "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a"},
      {"Intel SGX Root CA", "intel", "SGX",
       "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"},
  };
  return kRoots;
}

std::optional<PinnedRoot> FindPinnedRoot(const Sha256Digest& digest) {
  const std::string hex = HexEncode(digest);
  for (const auto& root : PinnedRoots()) {
    if (root.sha256_hex == hex) return root;
  }
  return std::nullopt;
}

bool IsSelfSigned(const X509* cert) {
  if (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) != 0) return false;
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) return false;
  const bool ok = X509_verify(const_cast<X509*>(cert), key) == 1;
  DrainOpenSslErrors();
  return ok;
}

absl::Status TrustStore::Add(X509Ptr cert, absl::string_view source, bool require_pin) {
  auto digest = CertificateSha256(cert.get());
  if (!digest.ok()) return digest.status();
  const auto pin = FindPinnedRoot(*digest);
  if (require_pin && !pin) {
    return absl::PermissionDeniedError(absl::StrCat(
        source, ": root certificate '", SubjectName(cert.get()), "' (SHA-256 ", HexEncode(*digest),
        ") is not a pinned trust anchor; use --allow-root for a ", "test root"));
  }
  if (!IsSelfSigned(cert.get())) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": root certificate '", SubjectName(cert.get()), "' is not self-signed"));
  }
  if (Find(*digest) != nullptr) return absl::OkStatus();
  TrustedRoot root;
  root.sha256 = *digest;
  root.pinned = pin.has_value();
  if (pin) {
    root.vendor = std::string(pin->vendor);
    root.product = std::string(pin->product);
  }
  root.source = std::string(source);
  root.cert = std::move(cert);
  roots_.push_back(std::move(root));
  return absl::OkStatus();
}

absl::Status TrustStore::AddPinned(X509Ptr cert, absl::string_view source) {
  return Add(std::move(cert), source, /*require_pin=*/true);
}

absl::Status TrustStore::AddAllowed(X509Ptr cert, absl::string_view source) {
  return Add(std::move(cert), source, /*require_pin=*/false);
}

absl::Status TrustStore::LoadDirectory(const std::string& dir, std::vector<std::string>* skipped) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": trust directory does not exist"));
  }
  std::vector<std::filesystem::path> files;
  // Explicit iteration with error codes: the range-for increment would throw on I/O errors.
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::filesystem::directory_entry& entry = *it;
    const std::string ext = entry.path().extension().string();
    std::error_code entry_ec;
    if (entry.is_regular_file(entry_ec) &&
        (ext == ".pem" || ext == ".der" || ext == ".crt" || ext == ".cer")) {
      files.push_back(entry.path());
    }
    if (files.size() > 1024) {
      return absl::InvalidArgumentError(absl::StrCat(dir, ": more than 1024 certificate files"));
    }
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": ", ec.message()));
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    auto data = ReadFileBytes(path.string());
    if (!data.ok()) return data.status();
    auto certs = ParseCertificates(*data, path.string());
    if (!certs.ok()) return certs.status();
    for (auto& cert : *certs) {
      const std::string subject = SubjectName(cert.get());
      absl::Status s = AddPinned(std::move(cert), path.string());
      if (!s.ok() && skipped != nullptr) skipped->push_back(std::string(s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status TrustStore::LoadAllowedFile(const std::string& path) {
  auto data = ReadFileBytes(path);
  if (!data.ok()) return data.status();
  auto certs = ParseCertificates(*data, path);
  if (!certs.ok()) return certs.status();
  for (auto& cert : *certs) {
    absl::Status s = AddAllowed(std::move(cert), path);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

const TrustedRoot* TrustStore::Find(const Sha256Digest& digest) const {
  for (const auto& root : roots_) {
    if (root.sha256 == digest) return &root;
  }
  return nullptr;
}

}  // namespace pv::attest
