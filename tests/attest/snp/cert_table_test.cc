// GHCB extended-report certificate table: the real configfs-tsm auxblob (PEM entries) and
// hostile tables (no terminator, out-of-bounds or overlapping entries, duplicates, too many).
#include "attest/snp/cert_table.h"

#include <gtest/gtest.h>

#include <cstring>

#include "absl/strings/match.h"
#include "attest/common/cert_util.h"
#include "tests/attest/snp/amd_test_pki.h"
#include "tests/attest/snp/vectors.h"

namespace pv::attest::snp {
namespace {

using testing::ReadVector;

constexpr uint8_t kVcekGuid[16] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                   0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
constexpr uint8_t kAskGuid[16] = {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                                  0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82};

void PutEntry(Bytes* blob, size_t index, const uint8_t guid[16], uint32_t offset, uint32_t length) {
  uint8_t* e = blob->data() + index * kCertTableEntrySize;
  std::memcpy(e, guid, 16);
  for (int i = 0; i < 4; ++i) e[16 + i] = static_cast<uint8_t>(offset >> (8 * i));
  for (int i = 0; i < 4; ++i) e[20 + i] = static_cast<uint8_t>(length >> (8 * i));
}

// The real 3-entry table with its terminator overwritten: the error counts the entries read and
// names where the certificate data begins, instead of reading certificate bytes as entries.
TEST(CertTableTest, UnterminatedTableStopsAtTheCertificateData) {
  Bytes blob = ReadVector("snp/veraison-tsm/auxblob_certtable.bin");
  ASSERT_GT(blob.size(), 4 * kCertTableEntrySize);
  std::memset(blob.data() + 3 * kCertTableEntrySize, 0xA5, kCertTableEntrySize);
  auto entries = ParseCertTable(blob);
  ASSERT_FALSE(entries.ok());
  const std::string message(entries.status().message());
  EXPECT_TRUE(absl::StrContains(message, "no all-zero terminating entry after 4 entries"))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "first certificate's data begins")) << message;
  EXPECT_FALSE(absl::StrContains(message, "more than")) << message;
}

TEST(CertTableTest, ParsesConfigfsTsmAuxblobWithPemEntries) {
  auto entries = ParseCertTable(ReadVector("snp/veraison-tsm/auxblob_certtable.bin"));
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].kind, CertTableKind::kArk);
  EXPECT_EQ((*entries)[1].kind, CertTableKind::kAskOrAsvk);
  EXPECT_EQ((*entries)[2].kind, CertTableKind::kVcek);
  EXPECT_EQ(GuidToString((*entries)[2].guid), "63da758d-e664-4564-adc5-f4b93be8accd");
  for (const auto& e : *entries) {
    EXPECT_TRUE(LooksLikePem(e.data));
    EXPECT_TRUE(ParseSingleCertificate(e.data, "entry").ok());
  }
  auto certs = CertsFromTable(*entries, /*want_vlek=*/false);
  ASSERT_TRUE(certs.ok()) << certs.status();
  auto chain = ParseCertificates(certs->chain, "chain");
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->size(), 2u);
  // The same VCEK as the DER copy in the vectors.
  auto vek = ParseSingleCertificate(certs->vek, "vek");
  ASSERT_TRUE(vek.ok());
  EXPECT_EQ(*CertificateDer(vek->get()), ReadVector("snp/veraison-tsm/certtable_vcek.der"));
  EXPECT_FALSE(CertsFromTable(*entries, /*want_vlek=*/true).ok());
}

TEST(CertTableTest, DerEntriesAreConvertedIntoThePemChain) {
  const Bytes ask = ReadVector("snp/veraison-tsm/certtable_vcek.der");  // any DER certificate
  Bytes blob(3 * kCertTableEntrySize, 0);
  const uint32_t off = static_cast<uint32_t>(blob.size());
  blob.insert(blob.end(), ask.begin(), ask.end());
  blob.insert(blob.end(), ask.begin(), ask.end());
  PutEntry(&blob, 0, kVcekGuid, off, static_cast<uint32_t>(ask.size()));
  PutEntry(&blob, 1, kAskGuid, off + static_cast<uint32_t>(ask.size()),
           static_cast<uint32_t>(ask.size()));
  auto entries = ParseCertTable(blob);
  ASSERT_TRUE(entries.ok()) << entries.status();
  auto certs = CertsFromTable(*entries, false);
  ASSERT_TRUE(certs.ok()) << certs.status();
  EXPECT_TRUE(LooksLikePem(certs->chain));
  EXPECT_EQ(certs->vek, ask);
}

TEST(CertTableTest, MissingTerminatorRefused) {
  Bytes blob(kCertTableEntrySize, 0);
  PutEntry(&blob, 0, kVcekGuid, 24, 1);
  auto r = ParseCertTable(blob);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "terminating"));
  EXPECT_FALSE(ParseCertTable(Bytes{}).ok());
  EXPECT_FALSE(ParseCertTable(Bytes(23, 0)).ok());
}

TEST(CertTableTest, EntryOutsideBlobRefused) {
  Bytes blob(2 * kCertTableEntrySize + 16, 0);
  PutEntry(&blob, 0, kVcekGuid, 48, 17);  // one byte past the end
  EXPECT_FALSE(ParseCertTable(blob).ok());
  PutEntry(&blob, 0, kVcekGuid, 0xFFFFFFF0u, 0x20);  // wraps in 32 bits
  EXPECT_FALSE(ParseCertTable(blob).ok());
  PutEntry(&blob, 0, kVcekGuid, 48, 16);
  EXPECT_TRUE(ParseCertTable(blob).ok());
}

TEST(CertTableTest, EntryOverlappingTheTableRefused) {
  Bytes blob(2 * kCertTableEntrySize + 16, 0);
  PutEntry(&blob, 0, kVcekGuid, 0, 16);
  auto r = ParseCertTable(blob);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "outside"));
}

TEST(CertTableTest, ZeroLengthAndDuplicateEntriesRefused) {
  Bytes blob(3 * kCertTableEntrySize + 16, 0);
  PutEntry(&blob, 0, kVcekGuid, 72, 0);
  EXPECT_FALSE(ParseCertTable(blob).ok());
  PutEntry(&blob, 0, kVcekGuid, 72, 8);
  PutEntry(&blob, 1, kVcekGuid, 80, 8);
  auto r = ParseCertTable(blob);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "twice"));
}

TEST(CertTableTest, TooManyEntriesRefused) {
  const size_t n = kMaxCertTableEntries + 1;
  Bytes blob((n + 1) * kCertTableEntrySize + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    uint8_t guid[16] = {};
    guid[0] = static_cast<uint8_t>(i + 1);
    PutEntry(&blob, i, guid, static_cast<uint32_t>(blob.size() - 1), 1);
  }
  auto r = ParseCertTable(blob);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "more than"));
}

}  // namespace
}  // namespace pv::attest::snp
