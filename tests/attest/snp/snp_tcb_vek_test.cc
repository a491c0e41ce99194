// TCB_VERSION layouts per product and the VEK extension decoder (real VCEKs/VLEKs, including
// the Turin 8-byte hwID and the OCTET-STRING-wrapped hwID form, and malformed synthetic ones).
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "attest/common/cert_util.h"
#include "attest/snp/snp_tcb.h"
#include "attest/snp/vek_cert.h"
#include "tests/attest/snp/amd_test_pki.h"
#include "tests/attest/snp/vectors.h"

namespace pv::attest::snp {
namespace {

using testing::ReadVector;

TEST(SnpTcbTest, MilanLayout) {
  const TcbParts p = DecodeTcb(0x7308000000000003ull, TcbLayout::kMilanGenoa);
  EXPECT_FALSE(p.fmc.has_value());
  EXPECT_EQ(p.bl, 3);
  EXPECT_EQ(p.tee, 0);
  EXPECT_EQ(p.snp, 8);
  EXPECT_EQ(p.ucode, 115);
}

TEST(SnpTcbTest, TurinLayoutHasFmcFirst) {
  const TcbParts p = DecodeTcb(0x6100000005020301ull, TcbLayout::kTurin);
  ASSERT_TRUE(p.fmc.has_value());
  EXPECT_EQ(*p.fmc, 1);
  EXPECT_EQ(p.bl, 3);
  EXPECT_EQ(p.tee, 2);
  EXPECT_EQ(p.snp, 5);
  EXPECT_EQ(p.ucode, 0x61);
  // The same value read with the Milan layout gives different SPLs: the layout matters.
  EXPECT_NE(DecodeTcb(0x6100000005020301ull, TcbLayout::kMilanGenoa), p);
}

TEST(SnpTcbTest, ProductFromCpuid) {
  EXPECT_EQ(ProductFromCpuid(0x19, 0x01), Product::kMilan);
  EXPECT_EQ(ProductFromCpuid(0x19, 0x11), Product::kGenoa);
  EXPECT_EQ(ProductFromCpuid(0x19, 0xA0), Product::kGenoa);  // Siena/Bergamo use Genoa roots
  EXPECT_EQ(ProductFromCpuid(0x1A, 0x02), Product::kTurin);
  EXPECT_EQ(ProductFromCpuid(0x17, 0x31), Product::kUnknown);
  EXPECT_EQ(ProductFromCpuid(0x1A, 0x50), Product::kUnknown);
}

absl::StatusOr<VekExtensions> ExtOfVector(const std::string& rel) {
  auto cert = ParseSingleCertificate(ReadVector(rel), rel);
  if (!cert.ok()) return cert.status();
  return ParseVekExtensions(cert->get());
}

TEST(VekExtensionsTest, MilanVcek) {
  auto ext = ExtOfVector("snp/go-sev-guest/vcek.testcer");
  ASSERT_TRUE(ext.ok()) << ext.status();
  EXPECT_EQ(ext->product_name, "Milan-B0");
  ASSERT_TRUE(ext->hwid.has_value());
  EXPECT_EQ(ext->hwid->size(), 64u);
  EXPECT_FALSE(ext->csp_id.has_value());
  EXPECT_FALSE(ext->fmc_spl.has_value());
  EXPECT_EQ(ext->snp_spl, 5);
  EXPECT_EQ(ext->ucode_spl, 0x44);
}

TEST(VekExtensionsTest, TurinVcekHasEightByteHwidAndFmc) {
  auto ext = ExtOfVector("snp/openanolis-trustee/turin-vcek.der");
  ASSERT_TRUE(ext.ok()) << ext.status();
  EXPECT_EQ(ext->product_name, "Turin");
  EXPECT_EQ(ext->struct_version, 1);
  ASSERT_TRUE(ext->hwid.has_value());
  EXPECT_EQ(ext->hwid->size(), 8u);
  EXPECT_EQ(ext->fmc_spl, 1);
}

TEST(VekExtensionsTest, VlekHasCspIdAndNoHwid) {
  auto ext = ExtOfVector("trustee/snp/test-vlek.der");
  ASSERT_TRUE(ext.ok()) << ext.status();
  EXPECT_EQ(ext->csp_id, "CN=cc-us-east-2.amazonaws.com");
  EXPECT_FALSE(ext->hwid.has_value());
}

TEST(VekExtensionsTest, OctetStringWrappedHwidAccepted) {
  auto ext = ExtOfVector("trustee/snp/test-vcek-invalid-new.der");
  ASSERT_TRUE(ext.ok()) << ext.status();
  ASSERT_TRUE(ext->hwid.has_value());
  EXPECT_EQ(ext->hwid->size(), 64u);
  EXPECT_EQ((*ext->hwid)[1], 1);  // 00 01 02 ... after unwrapping
}

absl::StatusOr<VekExtensions> ExtOf(std::vector<std::pair<std::string, Bytes>> extensions) {
  auto key = testing::GenerateEcKey("P-384");
  testing::CertSpec spec;
  spec.common_name = "SEV-VCEK";
  spec.not_before = 1600000000;
  spec.not_after = 2000000000;
  spec.extensions = std::move(extensions);
  auto rsa = testing::GenerateRsaKey(1024);
  auto cert = testing::IssueCertificate(spec, key.get(), nullptr, rsa.get());
  return ParseVekExtensions(cert.get());
}

TEST(VekExtensionsTest, SplOutsideByteRangeRefused) {
  auto ext = ExtOf({{"1.3.6.1.4.1.3704.1.3.3", testing::DerInteger(256)}});
  ASSERT_FALSE(ext.ok());
  EXPECT_TRUE(absl::StrContains(ext.status().message(), "1.3.6.1.4.1.3704.1.3.3"));
}

TEST(VekExtensionsTest, SplThatIsNotAnIntegerRefused) {
  EXPECT_FALSE(ExtOf({{"1.3.6.1.4.1.3704.1.3.1", testing::DerIa5String("3")}}).ok());
  Bytes trailing = testing::DerInteger(3);
  trailing.push_back(0);
  EXPECT_FALSE(ExtOf({{"1.3.6.1.4.1.3704.1.3.1", trailing}}).ok());
}

TEST(VekExtensionsTest, HwidOfWrongLengthRefused) {
  auto ext = ExtOf({{"1.3.6.1.4.1.3704.1.4", Bytes(32, 1)}});
  ASSERT_FALSE(ext.ok());
  EXPECT_TRUE(absl::StrContains(ext.status().message(), "hwID"));
}

}  // namespace
}  // namespace pv::attest::snp
