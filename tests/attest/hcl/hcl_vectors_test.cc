// Trustee's real Azure HCL reports (az-snp-vtpm, az-tdx-vtpm), verified end to end through the
// CLI's functions, and tampered copies made here at run time (never stored). Registered only
// when the vectors are present (PV_HCL_VECTORS_DIR, see tests/attest/CMakeLists.txt).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "attest/cli/hcl_verify.h"
#include "attest/hcl/hcl_report.h"
#include "tests/attest/snp/vectors.h"

namespace pv::attest::cli {
namespace {

std::string Hcl(const std::string& rel) {
  return std::string(PV_HCL_VECTORS_DIR) + "/" + rel;
}

std::string Value(const VerificationReport& r, const std::string& check) {
  const CheckOutcome* c = r.Find(check);
  return c ? c->value : "<missing>";
}

std::string Field(const VerificationReport& r, const std::string& name) {
  for (const auto& [k, v] : r.fields) {
    if (k == name) return v;
  }
  return "<missing>";
}

// A copy of `bytes` in the test's temporary directory.
std::string WriteTemp(const std::string& name, const Bytes& bytes) {
  const auto path = std::filesystem::temp_directory_path() / ("pv_hcl_" + name);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

// trustee's vcek.pem bundles VCEK, ASK and ARK: the VCEK is the first certificate.
std::string FirstCertificate(const std::string& path) {
  auto bundle = ReadFileBytes(path);
  EXPECT_TRUE(bundle.ok());
  const std::string text(bundle->begin(), bundle->end());
  const std::string end = "-----END CERTIFICATE-----";
  const std::string first = text.substr(0, text.find(end) + end.size()) + "\n";
  return WriteTemp("vcek.pem", Bytes(first.begin(), first.end()));
}

SnpFiles SnpCerts() {
  SnpFiles f;
  f.vek = FirstCertificate(Hcl("az-snp-vtpm/vcek.pem"));
  f.chain = testing::VectorPath("snp/go-sev-guest/ask_ark_milan.pem");
  return f;
}

constexpr UnixTime kAt = 1795219200;  // 2026-11-21

TEST(HclVectorsTest, AzureSnpReportVerifiesWithItsClaims) {
  auto r = VerifyHclSnp(Hcl("az-snp-vtpm/hcl-report.bin"), SnpCerts(), kAt, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->Accepted()) << ::testing::PrintToString(r->reasons);
  EXPECT_EQ(Value(*r, "signature"), "ok");
  EXPECT_EQ(Value(*r, "chain"), "ok");
  EXPECT_EQ(Value(*r, "runtime_claims_binding"), "ok");
  EXPECT_EQ(Value(*r, "hcl_length"), "ok");
  EXPECT_TRUE(absl::StrContains(Field(*r, "HCL.AK_PUB"), "\"kid\":\"HCLAkPub\""));
}

TEST(HclVectorsTest, TamperedAzureSnpCopiesAreRejected) {
  auto original = ReadFileBytes(Hcl("az-snp-vtpm/hcl-report.bin"));
  ASSERT_TRUE(original.ok());
  auto parsed = hcl::ParseHclReport(*original);
  ASSERT_TRUE(parsed.ok());
  // A claim byte (inside the AK modulus): the binding fails, the SNP report stays genuine.
  Bytes claims = *original;
  claims[parsed->report_size - 40] ^= 0x01;
  auto a = VerifyHclSnp(WriteTemp("claims.bin", claims), SnpCerts(), kAt, {});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(absl::StartsWith(Value(*a, "runtime_claims_binding"), "fail:hash-mismatch"));
  EXPECT_EQ(Value(*a, "signature"), "ok");
  EXPECT_FALSE(a->Accepted());
  // REPORT_DATA inside the signed report: the signature fails.
  Bytes report_data = *original;
  report_data[hcl::kHeaderSize + 0x50] ^= 0x01;
  auto b = VerifyHclSnp(WriteTemp("rd.bin", report_data), SnpCerts(), kAt, {});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Value(*b, "signature"), "fail:bad-signature");
  EXPECT_FALSE(b->Accepted());
  // A non-zero byte in the NV padding.
  Bytes padding = *original;
  padding.back() = 0x7f;
  auto c = VerifyHclSnp(WriteTemp("pad.bin", padding), SnpCerts(), kAt, {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(absl::StartsWith(Value(*c, "hcl_length"), "fail:trailing-data"));
}

TdxFiles TdQuote(const std::string& quote) {
  TdxFiles f;
  f.quote = quote;
  f.root = testing::VectorPath("tdx/go-tdx-guest/trusted_root.pem");
  return f;
}

constexpr UnixTime kTdxAt = 1717200000;  // 2024-06-01, inside the PCK chain's validity

TEST(HclVectorsTest, AzureTdReportIsBoundToItsQuote) {
  const TdxFiles quote = TdQuote(Hcl("az-tdx-vtpm/td-quote.bin"));
  auto r = VerifyHclTdx(Hcl("az-tdx-vtpm/hcl-report.bin"), &quote, false, kTdxAt, {});
  ASSERT_TRUE(r.ok()) << r.status();
  for (const char* check : {"quote_sig", "qe_report_sig", "ak_binding", "pck_chain",
                            "tdreport_hashes", "tdreport_vs_quote", "runtime_claims_binding"}) {
    EXPECT_EQ(Value(*r, check), "ok") << check;
  }
  // Without the quote: the binding and hashes are checked, authenticity is refused.
  auto alone = VerifyHclTdx(Hcl("az-tdx-vtpm/hcl-report.bin"), nullptr, false, kTdxAt, {});
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_EQ(Value(*alone, "runtime_claims_binding"), "ok");
  EXPECT_EQ(Value(*alone, "tdreport_hashes"), "ok");
  EXPECT_TRUE(absl::StartsWith(Value(*alone, "tdreport_vs_quote"), "fail:no-quote"));
  EXPECT_FALSE(alone->Accepted());
}

TEST(HclVectorsTest, TamperedAzureTdReportCopiesAreCaught) {
  auto original = ReadFileBytes(Hcl("az-tdx-vtpm/hcl-report.bin"));
  ASSERT_TRUE(original.ok());
  const TdxFiles quote = TdQuote(Hcl("az-tdx-vtpm/td-quote.bin"));
  // MRTD changed: the TDINFO hash no longer matches and the quote disagrees.
  Bytes mrtd = *original;
  mrtd[hcl::kHeaderSize + hcl::TdReportLayout::kTdInfo + 16] ^= 0x01;
  auto a = VerifyHclTdx(WriteTemp("mrtd.bin", mrtd), &quote, false, kTdxAt, {});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(absl::StartsWith(Value(*a, "tdreport_hashes"), "fail:hash-mismatch TEE_INFO_HASH"));
  EXPECT_TRUE(absl::StartsWith(Value(*a, "tdreport_vs_quote"), "fail:mismatch MRTD"));
  // REPORTDATA changed together with the claims' hash position: the binding fails and the
  // quote's REPORT_DATA disagrees.
  Bytes rd = *original;
  rd[hcl::kHeaderSize + hcl::TdReportLayout::kReportData] ^= 0x01;
  auto b = VerifyHclTdx(WriteTemp("tdrd.bin", rd), &quote, false, kTdxAt, {});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(absl::StartsWith(Value(*b, "runtime_claims_binding"), "fail:hash-mismatch"));
  EXPECT_TRUE(absl::StartsWith(Value(*b, "tdreport_vs_quote"), "fail:mismatch REPORT_DATA"));
}

}  // namespace
}  // namespace pv::attest::cli
