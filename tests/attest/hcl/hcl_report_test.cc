// Azure HCL reports: the parser on hostile layouts, the runtime-claims binding, the TDREPORT's
// internal hashes, and an end-to-end SNP verification of a synthetic HCL report whose SNP
// report is signed by the synthetic AMD-shaped PKI (real OpenSSL signatures).
#include "attest/hcl/hcl_report.h"

#include <gtest/gtest.h>

#include <array>

#include "absl/strings/match.h"
#include "attest/common/cert_util.h"
#include "attest/snp/snp_verifier.h"
#include "tests/attest/hcl/hcl_test_builder.h"
#include "tests/attest/snp/amd_test_pki.h"

namespace pv::attest::hcl {
namespace {

using testing::BuildHcl;
using testing::kClaims;
using testing::PutLe32;

std::string Field(const std::vector<std::pair<std::string, std::string>>& fields,
                  const std::string& name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return "<missing>";
}

class SyntheticSnpHclTest : public ::testing::Test {
 protected:
  static constexpr UnixTime kNow = 1800000000;
  pv::attest::testing::TestHierarchy h_ = pv::attest::testing::MakeHierarchy({});

  Bytes SignedReport(const std::string& claims) {
    pv::attest::testing::ReportSpec spec;
    const Sha256Digest digest =
        Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(claims.data()), claims.size()));
    std::copy(digest.begin(), digest.end(), spec.report_data.begin());
    return pv::attest::testing::BuildSignedReport(spec, h_.vek_key.get());
  }
  snp::SnpVerification VerifyInner(const HclReport& r) {
    TrustStore trust;
    EXPECT_TRUE(trust.AddAllowed(X509Ptr(X509_dup(h_.ark.get())), "test-ark").ok());
    snp::SnpVerifier verifier(std::move(trust));
    const Bytes chain(h_.chain_pem.begin(), h_.chain_pem.end());
    auto v = verifier.Verify(r.hardware_report, h_.vek_der, chain, kNow);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : snp::SnpVerification{};
  }
};

TEST_F(SyntheticSnpHclTest, BoundClaimsVerifyAndArePrinted) {
  const Bytes hcl = BuildHcl(2, SignedReport(kClaims), kClaims, 254);
  auto r = ParseHclReport(hcl);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type, HclReportType::kSnp);
  EXPECT_EQ(r->length.trailing, 254u);
  EXPECT_EQ(EvaluateEvidenceLength(r->length, false, "HCL report"), "ok");
  EXPECT_EQ(CheckRuntimeClaimsBinding(*r), "ok");
  EXPECT_TRUE(VerifyInner(*r).result.Accepted());
  const auto fields = DescribeHclReport(*r);
  EXPECT_EQ(Field(fields, "HCL.AK_PUB"),
            R"({"kid":"HCLAkPub","key_ops":["sign"],"kty":"RSA","e":"AQAB","n":"sYnth"})");
  EXPECT_EQ(Field(fields, "HCL.USER_DATA"), "00ab");
  EXPECT_EQ(Field(fields, "HCL.REPORT_TYPE"), "SEV-SNP");
}

TEST_F(SyntheticSnpHclTest, AlteredClaimsBreakTheBinding) {
  std::string altered = kClaims;
  altered.replace(altered.find("sYnth"), 5, "evil!");
  // The report is signed over the original claims' hash; the HCL carries other claims.
  const Bytes hcl = BuildHcl(2, SignedReport(kClaims), altered);
  auto r = ParseHclReport(hcl);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(absl::StartsWith(CheckRuntimeClaimsBinding(*r), "fail:hash-mismatch"));
  // The SNP report itself is still genuine: only the binding fails.
  EXPECT_TRUE(VerifyInner(*r).result.Accepted());
}

TEST_F(SyntheticSnpHclTest, NonZeroReportDataTailFailsTheBinding) {
  Bytes report = SignedReport(kClaims);
  report[0x50 + 40] = 1;  // REPORT_DATA[40], after the 32-byte digest
  pv::attest::testing::SignReport(&report, h_.vek_key.get());
  auto r = ParseHclReport(BuildHcl(2, report, kClaims));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(absl::StartsWith(CheckRuntimeClaimsBinding(*r), "fail:nonzero-padding"));
}

TEST(HclParseTest, HostileLayoutsAreRefusedWithTheField) {
  const Bytes good = BuildHcl(2, Bytes(kHardwareReportSize, 0), kClaims, 16);
  ASSERT_TRUE(ParseHclReport(good).ok());
  struct Case {
    const char* needle;
    void (*mutate)(Bytes*);
  };
  const Case cases[] = {
      {"expected \"HCLA\"", [](Bytes* b) { (*b)[0] = 'X'; }},
      {"header.report_size", [](Bytes* b) { PutLe32(b, 8, static_cast<uint32_t>(b->size() + 1)); }},
      {"header.report_size", [](Bytes* b) { PutLe32(b, 8, 16); }},
      {"request_data.data_size", [](Bytes* b) { PutLe32(b, kRequestDataOffset, 5000); }},
      {"variable_data_size", [](Bytes* b) { PutLe32(b, kRequestDataOffset + 16, 0xffffffff); }},
      {"report_type", [](Bytes* b) { PutLe32(b, kRequestDataOffset + 8, 1); }},
      {"report_data_hash_type", [](Bytes* b) { PutLe32(b, kRequestDataOffset + 12, 9); }},
  };
  for (const Case& c : cases) {
    Bytes b = good;
    c.mutate(&b);
    auto r = ParseHclReport(b);
    ASSERT_FALSE(r.ok()) << c.needle;
    EXPECT_TRUE(absl::StrContains(r.status().message(), c.needle)) << r.status();
  }
  for (size_t n = 0; n < good.size(); n += 7) {
    auto r = ParseHclReport(ByteSpan(good).first(n));
    if (n < good.size() - 16) EXPECT_FALSE(r.ok()) << n;  // shorter than report_size
  }
  Bytes garbage = good;
  garbage.back() = 0x42;
  auto r = ParseHclReport(garbage);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(absl::StartsWith(EvaluateEvidenceLength(r->length, false, "HCL report"),
                               "fail:trailing-data"));
  EXPECT_TRUE(
      absl::StartsWith(EvaluateEvidenceLength(ParseHclReport(good)->length, true, "HCL report"),
                       "fail:trailing-bytes"));
}

// A TDREPORT whose internal hashes are right, then one byte of TDINFO changed.
TEST(HclTdReportTest, InternalHashesAreChecked) {
  using L = TdReportLayout;
  Bytes t(kTdReportSize, 0);
  t[L::kReportType] = 0x81;
  for (size_t i = 0; i < L::kTdInfoSize; ++i) t[L::kTdInfo + i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < L::kTeeTcbInfoSize; ++i) t[L::kTeeTcbInfo + i] = static_cast<uint8_t>(i);
  const auto put_hash = [&t](size_t at, size_t from, size_t size) {
    auto d = DigestOf("SHA384", ByteSpan(t).subspan(from, size));
    ASSERT_TRUE(d.ok());
    std::copy(d->begin(), d->end(), t.begin() + static_cast<ptrdiff_t>(at));
  };
  put_hash(L::kTeeTcbInfoHash, L::kTeeTcbInfo, L::kTeeTcbInfoSize);
  put_hash(L::kTeeInfoHash, L::kTdInfo, L::kTdInfoSize);
  EXPECT_EQ(CheckTdReportHashes(t), "ok");
  const std::string claims = "{}";
  const Sha256Digest digest = Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(claims.data()), 2));
  std::copy(digest.begin(), digest.end(), t.begin() + L::kReportData);
  auto r = ParseHclReport(BuildHcl(4, t, claims));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->hardware_report.size(), kTdReportSize);
  EXPECT_EQ(CheckRuntimeClaimsBinding(*r), "ok");
  EXPECT_EQ(Field(DescribeTdReport(t, ""), "MRTD"), HexEncode(ByteSpan(t).subspan(528, 48)));
  Bytes changed = t;
  changed[L::kTdInfo + 16] ^= 1;  // MRTD
  EXPECT_TRUE(absl::StartsWith(CheckTdReportHashes(changed), "fail:hash-mismatch TEE_INFO_HASH"));
  changed = t;
  changed[L::kReportType] = 0;
  EXPECT_TRUE(absl::StartsWith(CheckTdReportHashes(changed), "fail:not-tdx"));
  // Bytes after the TDREPORT inside the 1184-byte region must be zero.
  Bytes region(kHardwareReportSize, 0);
  std::copy(t.begin(), t.end(), region.begin());
  region[kTdReportSize + 3] = 1;
  EXPECT_FALSE(ParseHclReport(BuildHcl(4, region, claims)).ok());
}

}  // namespace
}  // namespace pv::attest::hcl
