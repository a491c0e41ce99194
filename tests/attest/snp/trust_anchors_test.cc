// Trust anchors: the compiled-in fingerprints match AMD's ARKs and Intel's root in the vectors;
// unpinned roots are refused unless explicitly allowed; trust directories admit only pins.
#include "attest/common/trust_anchors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "tests/attest/snp/amd_test_pki.h"
#include "tests/attest/snp/vectors.h"

namespace pv::attest {
namespace {

using testing::ReadVector;

X509Ptr LastCert(const std::string& rel) {
  auto certs = ParseCertificates(ReadVector(rel), rel);
  EXPECT_TRUE(certs.ok());
  return std::move(certs->back());
}

TEST(TrustAnchorsTest, VectorRootsArePinned) {
  const std::pair<const char*, const char*> roots[] = {
      {"snp/go-sev-guest/ask_ark_milan.pem", "Milan"},
      {"snp/go-sev-guest/ask_ark_genoa.pem", "Genoa"},
      {"snp/go-sev-guest/ask_ark_turin_vcek.pem", "Turin"},
      {"snp/go-sev-guest/ask_ark_milan_vlek.pem", "Milan"},
      {"tdx/go-tdx-guest/trusted_root.pem", "SGX"}};
  for (const auto& [file, product] : roots) {
    X509Ptr root = LastCert(file);
    auto digest = CertificateSha256(root.get());
    ASSERT_TRUE(digest.ok());
    auto pin = FindPinnedRoot(*digest);
    ASSERT_TRUE(pin.has_value()) << file;
    EXPECT_EQ(pin->product, product);
    TrustStore store;
    EXPECT_TRUE(store.AddPinned(std::move(root), file).ok()) << file;
  }
}

TEST(TrustAnchorsTest, IntermediateIsNotAnAnchor) {
  auto certs = ParseCertificates(ReadVector("snp/go-sev-guest/ask_ark_milan.pem"), "chain");
  ASSERT_TRUE(certs.ok());
  TrustStore store;
  EXPECT_FALSE(store.AddPinned(std::move(certs->front()), "ask").ok());  // the ASK
}

TEST(TrustAnchorsTest, TestRootNeedsExplicitAllow) {
  auto h = testing::MakeHierarchy({});
  TrustStore store;
  absl::Status s = store.AddPinned(X509Ptr(X509_dup(h.ark.get())), "test.pem");
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_TRUE(absl::StrContains(s.message(), "--allow-root"));
  EXPECT_TRUE(store.AddAllowed(X509Ptr(X509_dup(h.ark.get())), "test.pem").ok());
  ASSERT_EQ(store.roots().size(), 1u);
  EXPECT_FALSE(store.roots()[0].pinned);
  // Even an allowed root must be self-signed.
  EXPECT_FALSE(store.AddAllowed(X509Ptr(X509_dup(h.ask.get())), "ask.pem").ok());
}

TEST(TrustAnchorsTest, DirectoryAdmitsOnlyPinnedRoots) {
  const auto dir = std::filesystem::temp_directory_path() / "pv_trust_dir_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto copy = [&](const std::string& rel, const std::string& name) {
    const Bytes data = ReadVector(rel);
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
  };
  copy("snp/go-sev-guest/ask_ark_milan.pem", "milan.pem");
  copy("snp/go-sev-guest/ask_ark_genoa.pem", "genoa.pem");
  auto h = testing::MakeHierarchy({});
  std::ofstream(dir / "test-root.pem") << testing::CertToPem(h.ark.get());
  TrustStore store;
  std::vector<std::string> skipped;
  ASSERT_TRUE(store.LoadDirectory(dir.string(), &skipped).ok());
  EXPECT_EQ(store.roots().size(), 2u);  // ARK-Milan, ARK-Genoa
  EXPECT_EQ(skipped.size(), 3u);        // two ASKs and the unpinned test root
  std::filesystem::remove_all(dir);
}

TEST(CertificateParsingTest, ConcatenatedDerBundleDecodes) {
  auto pem = ParseCertificates(ReadVector("snp/go-sev-guest/ask_ark_milan.pem"), "pem");
  ASSERT_TRUE(pem.ok());
  Bytes der;
  for (const auto& cert : *pem) {
    const Bytes one = testing::CertToDer(cert.get());
    der.insert(der.end(), one.begin(), one.end());
  }
  auto certs = ParseCertificates(der, "der bundle");
  ASSERT_TRUE(certs.ok()) << certs.status();
  EXPECT_EQ(certs->size(), 2u);
  der.push_back(0x30);  // the start of a certificate that never comes
  auto trailing = ParseCertificates(der, "der bundle");
  ASSERT_FALSE(trailing.ok());
  EXPECT_TRUE(absl::StrContains(trailing.status().message(), "trailing"));
  EXPECT_FALSE(
      ParseSingleCertificate(ReadVector("snp/go-sev-guest/ask_ark_milan.pem"), "two").ok());
}

}  // namespace
}  // namespace pv::attest
