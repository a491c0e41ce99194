// Report parsing: the real vectors of every supported version, and every format check the
// parser enforces (size, version, algorithm, policy bits, signer info, each reserved range).
#include "attest/snp/snp_report.h"

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/match.h"
#include "attest/snp/snp_tcb.h"
#include "tests/attest/snp/vectors.h"

namespace pv::attest::snp {
namespace {

using testing::ReadVector;

TEST(SnpReportTest, ParsesMilanV2Report) {
  auto r = ParseSnpReport(ReadVector("snp/virtee-sev/report_milan.bin"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, 2u);
  EXPECT_EQ(r->policy, 0x30000u);
  EXPECT_TRUE(r->smt_allowed());
  EXPECT_FALSE(r->debug());
  EXPECT_EQ(r->signing_key(), SigningKey::kVcek);
  EXPECT_EQ(r->reported_tcb, 0x7308000000000003ull);
  EXPECT_EQ(r->cpuid_fam_id, 0);  // v2 has no CPUID
}

TEST(SnpReportTest, ParsesVlekV3ReportWithCpuid) {
  auto r = ParseSnpReport(ReadVector("trustee/snp/test-vlek-report.bin"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, 3u);
  EXPECT_EQ(r->vmpl, 1u);
  EXPECT_EQ(r->signing_key(), SigningKey::kVlek);
  EXPECT_EQ(ProductFromCpuid(r->cpuid_fam_id, r->cpuid_mod_id), Product::kMilan);
}

TEST(SnpReportTest, ParsesTurinV5ReportWithMitigationVectors) {
  auto r = ParseSnpReport(ReadVector("snp/openanolis-trustee/turin-report.bin"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, 5u);
  EXPECT_TRUE(r->has_mitigation_vectors());
  EXPECT_EQ(ProductFromCpuid(r->cpuid_fam_id, r->cpuid_mod_id), Product::kTurin);
  // Turin CHIP_ID: only the first 8 bytes are set.
  EXPECT_TRUE(AllZero(ByteSpan(r->chip_id).subspan(8)));
}

TEST(SnpReportTest, DebugPolicyBitDecoded) {
  auto r = ParseSnpReport(ReadVector("snp/go-sev-guest/attestation.bin"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->debug());
}

TEST(SnpReportTest, DescribeListsEveryField) {
  auto r = ParseSnpReport(ReadVector("snp/openanolis-trustee/turin-report.bin"));
  ASSERT_TRUE(r.ok());
  const auto fields = DescribeSnpReport(*r);
  std::set<std::string> names;
  for (const auto& f : fields) names.insert(f.first);
  for (const char* want : {"VERSION",
                           "GUEST_SVN",
                           "POLICY",
                           "POLICY.DEBUG",
                           "FAMILY_ID",
                           "IMAGE_ID",
                           "VMPL",
                           "SIGNATURE_ALGO",
                           "CURRENT_TCB",
                           "PLATFORM_INFO",
                           "SIGNER_INFO.SIGNING_KEY",
                           "REPORT_DATA",
                           "MEASUREMENT",
                           "HOST_DATA",
                           "ID_KEY_DIGEST",
                           "AUTHOR_KEY_DIGEST",
                           "REPORT_ID",
                           "REPORT_ID_MA",
                           "REPORTED_TCB",
                           "REPORTED_TCB.PARTS",
                           "CPUID_FAM_ID",
                           "CHIP_ID",
                           "COMMITTED_TCB",
                           "CURRENT_VERSION",
                           "COMMITTED_VERSION",
                           "LAUNCH_TCB",
                           "LAUNCH_MIT_VECTOR",
                           "CURRENT_MIT_VECTOR",
                           "SIGNATURE.R",
                           "SIGNATURE.S"}) {
    EXPECT_TRUE(names.count(want)) << want;
  }
}

class MutatedReportTest : public ::testing::Test {
 protected:
  Bytes v3_ = ReadVector("trustee/snp/test-vlek-report.bin");
  Bytes v2_ = ReadVector("snp/virtee-sev/report_milan.bin");

  static void ExpectRefused(const Bytes& data, const std::string& needle) {
    auto r = ParseSnpReport(data);
    ASSERT_FALSE(r.ok()) << "accepted a report that should fail with '" << needle << "'";
    EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
    EXPECT_TRUE(absl::StrContains(r.status().message(), needle)) << r.status().message();
  }
};

TEST_F(MutatedReportTest, TruncatedReportRefused) {
  for (size_t size : {size_t{0}, size_t{4}, size_t{0x2A0}, kReportSize - 1}) {
    Bytes cut(v3_.begin(), v3_.begin() + static_cast<ptrdiff_t>(size));
    ExpectRefused(cut, "truncated");
  }
}

TEST_F(MutatedReportTest, TrailingGarbageRefused) {
  Bytes longer = v3_;
  longer.push_back(0);
  ExpectRefused(longer, "trailing");
}

TEST_F(MutatedReportTest, UnsupportedVersionsRefused) {
  for (uint8_t version : {0, 1, 6, 0xff}) {
    Bytes m = v3_;
    m[0] = version;
    ExpectRefused(m, "VERSION");
  }
}

TEST_F(MutatedReportTest, Version4ParsesWithTheV3Layout) {
  Bytes m = v3_;
  m[0] = 4;
  auto r = ParseSnpReport(m);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->has_cpuid());
  EXPECT_FALSE(r->has_mitigation_vectors());
}

TEST_F(MutatedReportTest, SignatureAlgorithmOtherThanP384Refused) {
  Bytes m = v3_;
  m[0x34] = 2;
  ExpectRefused(m, "SIGNATURE_ALGO");
}

TEST_F(MutatedReportTest, PolicyReservedBitsChecked) {
  Bytes m = v3_;
  m[0x0A] &= ~0x02;  // bit 17 must be one
  ExpectRefused(m, "bit 17");
  m = v3_;
  m[0x0B] |= 0x04;  // bit 26
  ExpectRefused(m, "bits 26..63");
  m = v3_;
  m[0x0F] |= 0x80;  // bit 63
  ExpectRefused(m, "bits 26..63");
}

TEST_F(MutatedReportTest, SignerInfoReservedBitsAndKeysChecked) {
  Bytes m = v3_;
  m[0x48] |= 0x20;  // bit 5
  ExpectRefused(m, "SIGNER_INFO");
  for (uint8_t key : {2, 3, 4, 5, 6}) {
    m = v3_;
    m[0x48] = static_cast<uint8_t>((m[0x48] & 0xE3) | (key << 2));
    ExpectRefused(m, "SIGNING_KEY");
  }
}

TEST_F(MutatedReportTest, EveryReservedRangeIsMustBeZero) {
  struct Range {
    size_t begin, end;
    bool v2_only;
  };
  // v3 layout ranges (v2 also checks 0x188..0x18A, and mitigation vectors before v5).
  const Range ranges[] = {{0x04C, 0x050, false}, {0x18B, 0x1A0, false}, {0x1EB, 0x1EC, false},
                          {0x1EF, 0x1F0, false}, {0x1F8, 0x208, false}, {0x208, 0x2A0, false},
                          {0x330, 0x4A0, false}, {0x188, 0x18B, true}};
  for (const Range& range : ranges) {
    for (size_t off : {range.begin, range.end - 1}) {
      Bytes m = range.v2_only ? v2_ : v3_;
      m[off] ^= 0x01;
      auto r = ParseSnpReport(m);
      EXPECT_FALSE(r.ok()) << "reserved byte 0x" << std::hex << off << " not checked";
      if (!r.ok()) EXPECT_TRUE(absl::StrContains(r.status().message(), "reserved"));
    }
  }
}

}  // namespace
}  // namespace pv::attest::snp
