// Policy JSON parsing (strict keys, types and lengths) and evaluation of every SNP and TDX rule,
// each with the seen and expected values in the reason.
#include "attest/policy/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "absl/strings/match.h"
#include "attest/policy/snp_policy.h"
#include "attest/policy/tdx_policy.h"
#include "attest/snp/snp_report.h"
#include "tests/attest/snp/vectors.h"

namespace pv::attest::policy {
namespace {

using snp::SnpReport;
using snp::TcbLayout;

std::string Hex(size_t bytes, char digit) {
  return std::string(2 * bytes, digit);
}

TEST(PolicyParseTest, DefaultsForbidDebugAndAllowSmt) {
  const Policy p = DefaultPolicy();
  EXPECT_FALSE(p.snp.allow_debug);
  EXPECT_TRUE(p.snp.allow_smt);
  EXPECT_FALSE(p.snp.allow_migration_agent);
  EXPECT_FALSE(p.tdx.allow_debug);
  EXPECT_EQ(p.tdx.accepted_tcb_statuses.front(), "UpToDate");
}

TEST(PolicyParseTest, FullPolicyParses) {
  const std::string json = R"({
    "snp": {"allow_debug": true, "allow_smt": false, "vmpl": 0, "max_vmpl": 1,
            "minimum_tcb": {"bl": 3, "snp": 8, "ucode": 115, "fmc": 1},
            "measurements": [")" +
                           Hex(48, 'a') + R"("],
            "host_data": ")" +
                           Hex(32, 'b') + R"(", "minimum_guest_svn": 2,
            "id_key_digests": [")" +
                           Hex(48, 'c') + R"("]},
    "tdx": {"allow_debug": false, "mr_td": [")" +
                           Hex(48, 'd') + R"("],
            "rtmr2": ")" + Hex(48, 'e') +
                           R"(", "minimum_tee_tcb_svn": ")" + Hex(16, '0') + R"(",
            "accepted_tcb_statuses": ["UpToDate"], "allow_missing_crls": true}
  })";
  auto p = ParsePolicyJson(json);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->snp.allow_debug);
  EXPECT_FALSE(p->snp.allow_smt);
  ASSERT_TRUE(p->snp.minimum_tcb.has_value());
  EXPECT_EQ(p->snp.minimum_tcb->fmc, 1);
  EXPECT_FALSE(p->snp.minimum_tcb->tee.has_value());
  EXPECT_EQ(p->snp.measurements.size(), 1u);
  EXPECT_EQ(p->tdx.accepted_tcb_statuses, std::vector<std::string>{"UpToDate"});
  EXPECT_TRUE(p->tdx.rtmr[2].has_value());
  EXPECT_TRUE(p->tdx.allow_missing_crls);
}

TEST(PolicyParseTest, RefusesMistakes) {
  const std::pair<const char*, const char*> bad[] = {
      {"not json", "not valid JSON"},
      {"[]", "JSON object"},
      {R"({"snp": {"allow_debugg": true}})", "snp.allow_debugg"},
      {R"({"sev": {}})", "sev"},
      {R"({"snp": {"allow_debug": "no"}})", "true or false"},
      {R"({"snp": {"vmpl": 4}})", "snp.vmpl"},
      {R"({"snp": {"vmpl": -1}})", "snp.vmpl"},
      {R"({"snp": {"host_data": "abcd"}})", "32 bytes"},
      {R"({"snp": {"measurements": ["zz"]}})", "measurements[0]"},
      {R"({"snp": {"minimum_tcb": {"microcode": 1}}})", "microcode"},
      {R"({"snp": {"minimum_tcb": {"bl": 256}}})", "0..255"},
      {R"({"tdx": {"accepted_tcb_statuses": "UpToDate"}})", "array of strings"},
      {R"({"tdx": {"td_attributes": "00"}})", "8 bytes"},
      {R"({"tdx": {"td_attributes": {"value": "0000000000000000"}}})", "\"mask\""},
      {R"({"tdx": {"td_attributes": {"value": "01", "mask": "ff"}}})", "8 bytes"},
      {R"({"tdx": {"td_attributes": {"value": "0100000000000000", "mask": "0000000000000000"}}})",
       "outside mask"},
      {R"({"tdx": {"td_attributes": {"value": "00", "mask": "00", "x": 1}}})", "x"},
      {R"({"tdx": {"require_sept_ve_disable": 1}})", "true or false"},
      {R"({"snp": {"require_low_s": "yes"}})", "true or false"},
  };
  for (const auto& [json, needle] : bad) {
    auto p = ParsePolicyJson(json);
    ASSERT_FALSE(p.ok()) << json;
    EXPECT_TRUE(absl::StrContains(p.status().message(), needle))
        << json << " -> " << p.status().message();
  }
}

SnpReport BaseReport() {
  auto r = snp::ParseSnpReport(testing::ReadVector("snp/virtee-sev/report_milan.bin"));
  EXPECT_TRUE(r.ok());
  return *r;
}

TEST(SnpPolicyTest, DefaultAcceptsSmtAndRejectsDebug) {
  SnpReport r = BaseReport();
  EXPECT_EQ(EvaluateSnpPolicy(SnpPolicy{}, r, TcbLayout::kMilanGenoa).verdict, "accept");
  r.policy |= snp::policy_bits::kDebug;
  const PolicyDecision d = EvaluateSnpPolicy(SnpPolicy{}, r, TcbLayout::kMilanGenoa);
  EXPECT_EQ(d.verdict, "reject:debug-allowed");
  SnpPolicy allow;
  allow.allow_debug = true;
  EXPECT_EQ(EvaluateSnpPolicy(allow, r, TcbLayout::kMilanGenoa).verdict, "accept");
}

TEST(SnpPolicyTest, EachRuleRejectsWithItsToken) {
  const SnpReport r = BaseReport();  // vmpl 0, SMT on, tcb bl3 tee0 snp8 ucode115, guest_svn 0
  struct Rule {
    const char* token;
    std::function<void(SnpPolicy*, SnpReport*)> set;
  };
  const Rule rules[] = {
      {"smt-allowed", [](SnpPolicy* p, SnpReport*) { p->allow_smt = false; }},
      {"migration-agent-allowed",
       [](SnpPolicy*, SnpReport* r) { r->policy |= snp::policy_bits::kMigrateMa; }},
      {"vmpl", [](SnpPolicy* p, SnpReport*) { p->vmpl = 1; }},
      {"vmpl", [](SnpPolicy* p, SnpReport* r) { p->max_vmpl = 0, r->vmpl = 2; }},
      {"report-version", [](SnpPolicy* p, SnpReport*) { p->minimum_report_version = 3; }},
      {"tcb-below-minimum",
       [](SnpPolicy* p, SnpReport*) { p->minimum_tcb = MinimumTcb{.snp = 9}; }},
      {"launch-tcb-below-minimum",
       [](SnpPolicy* p, SnpReport*) { p->minimum_launch_tcb = MinimumTcb{.ucode = 200}; }},
      {"measurement-not-allowed",
       [](SnpPolicy* p, SnpReport*) { p->measurements = {Bytes(48, 1)}; }},
      {"host-data-mismatch", [](SnpPolicy* p, SnpReport*) { p->host_data = Bytes(32, 1); }},
      {"report-data-mismatch", [](SnpPolicy* p, SnpReport*) { p->report_data = Bytes(64, 1); }},
      {"family-id-mismatch", [](SnpPolicy* p, SnpReport*) { p->family_id = Bytes(16, 1); }},
      {"image-id-mismatch", [](SnpPolicy* p, SnpReport*) { p->image_id = Bytes(16, 1); }},
      {"guest-svn-below-minimum", [](SnpPolicy* p, SnpReport*) { p->minimum_guest_svn = 99; }},
      {"id-key-digest-not-allowed",
       [](SnpPolicy* p, SnpReport*) { p->id_key_digests = {Bytes(48, 1)}; }},
      {"author-key-digest-not-allowed",
       [](SnpPolicy* p, SnpReport*) { p->author_key_digests = {Bytes(48, 1)}; }},
  };
  for (const Rule& rule : rules) {
    SnpPolicy p;
    SnpReport report = r;
    rule.set(&p, &report);
    const PolicyDecision d = EvaluateSnpPolicy(p, report, TcbLayout::kMilanGenoa);
    EXPECT_EQ(d.verdict, std::string("reject:") + rule.token);
    ASSERT_EQ(d.reasons.size(), 1u) << rule.token;
  }
}

TEST(SnpPolicyTest, MatchingValuesAccepted) {
  const SnpReport r = BaseReport();
  SnpPolicy p;
  p.vmpl = 0;
  p.minimum_tcb = MinimumTcb{.bl = 3, .tee = 0, .snp = 8, .ucode = 115};
  p.measurements = {Bytes(48, 7), Bytes(r.measurement.begin(), r.measurement.end())};
  p.host_data = Bytes(r.host_data.begin(), r.host_data.end());
  p.report_data = Bytes(r.report_data.begin(), r.report_data.end());
  const PolicyDecision d = EvaluateSnpPolicy(p, r, TcbLayout::kMilanGenoa);
  EXPECT_EQ(d.verdict, "accept") << ::testing::PrintToString(d.reasons);
}

TEST(SnpPolicyTest, MinimumTcbReasonNamesTheShortComponent) {
  SnpPolicy p;
  p.minimum_tcb = MinimumTcb{.ucode = 200};
  const PolicyDecision d = EvaluateSnpPolicy(p, BaseReport(), TcbLayout::kMilanGenoa);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_TRUE(absl::StrContains(d.reasons[0], "ucode 115 < 200")) << d.reasons[0];
}

VerificationReport TdxReport(const std::string& td_attributes) {
  VerificationReport r;
  r.tee = Tee::kTdx;
  r.fields = {{"TD_ATTRIBUTES", td_attributes},
              {"TD_ATTRIBUTES.DEBUG",
               (std::stoi(td_attributes.substr(0, 2), nullptr, 16) & 1) ? "true" : "false"},
              {"MRTD", Hex(48, 'a')},
              {"RTMR0", Hex(48, 'b')},
              {"MRCONFIGID", Hex(48, '0')},
              {"MROWNER", Hex(48, '0')},
              {"TEE_TCB_SVN", "05010200000000000000000000000000"},
              {"TCB_STATUS", "OutOfDate"},
              {"ADVISORY_IDS", "INTEL-SA-00837,INTEL-SA-00960"}};
  return r;
}

TEST(TdxPolicyTest, DebugRejectedFirst) {
  TdxPolicy p;
  const PolicyDecision d = EvaluateTdxPolicy(p, TdxReport("0100000000000000"));
  EXPECT_EQ(d.verdict, "reject:TD_ATTRIBUTES.DEBUG");
  // The OutOfDate status is also reported (not in the default accepted list).
  EXPECT_EQ(d.reasons.size(), 2u);
}

TEST(TdxPolicyTest, EachRuleRejectsWithItsFieldName) {
  const VerificationReport r = TdxReport("0000001000000000");
  struct Rule {
    const char* token;
    std::function<void(TdxPolicy*)> set;
  };
  const Rule rules[] = {
      {"TD_ATTRIBUTES",
       [](TdxPolicy* p) {
         p->td_attributes = MaskedBytes{Bytes(8, 0), Bytes(8, 0xff)};
       }},
      {"MRTD", [](TdxPolicy* p) { p->mr_td = {Bytes(48, 0)}; }},
      {"RTMR0", [](TdxPolicy* p) { p->rtmr[0] = Bytes(48, 0); }},
      {"RTMR3", [](TdxPolicy* p) { p->rtmr[3] = Bytes(48, 0); }},  // absent field: rejected
      {"MRCONFIGID", [](TdxPolicy* p) { p->mr_config_id = Bytes(48, 1); }},
      {"MROWNER", [](TdxPolicy* p) { p->mr_owner = Bytes(48, 1); }},
      {"TEE_TCB_SVN",
       [](TdxPolicy* p) {
         p->minimum_tee_tcb_svn = Bytes{5, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
       }},
      {"ADVISORY_IDS", [](TdxPolicy* p) { p->rejected_advisories = {"INTEL-SA-00960"}; }},
  };
  for (const Rule& rule : rules) {
    TdxPolicy p;
    p.accepted_tcb_statuses.push_back("OutOfDate");
    rule.set(&p);
    EXPECT_EQ(EvaluateTdxPolicy(p, r).verdict, std::string("reject:") + rule.token);
  }
  TdxPolicy ok;
  ok.accepted_tcb_statuses = {"OutOfDate"};
  ok.mr_td = {Bytes(48, 0), Bytes(48, 0xaa)};
  ok.rtmr[0] = Bytes(48, 0xbb);
  ok.minimum_tee_tcb_svn = Bytes{5, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(EvaluateTdxPolicy(ok, r).verdict, "accept");
}

// S' = n - S of the report's own signature: the same (r, s) pair malleated, which still
// verifies (see snp_verifier_test); exactly one of the two is low-S.
SnpReport WithNegatedS(SnpReport r) {
  // P-384 order, little-endian as the report stores s.
  const std::string n_hex =
      "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc5"
      "2973";
  auto n = HexDecode(n_hex);
  EXPECT_TRUE(n.ok());
  std::reverse(n->begin(), n->end());
  int borrow = 0;
  for (size_t i = 0; i < 72; ++i) {
    const int ni = i < n->size() ? (*n)[i] : 0;
    int d = ni - r.signature_s[i] - borrow;
    borrow = d < 0;
    r.signature_s[i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  return r;
}

TEST(SnpPolicyTest, LowSRequiredOnlyWhenAsked) {
  const SnpReport base = BaseReport();
  const SnpReport negated = WithNegatedS(base);
  ASSERT_NE(snp::SignatureIsLowS(base), snp::SignatureIsLowS(negated));
  const SnpReport& high = snp::SignatureIsLowS(base) ? negated : base;
  EXPECT_EQ(EvaluateSnpPolicy(SnpPolicy{}, high, TcbLayout::kMilanGenoa).verdict, "accept");
  SnpPolicy p;
  p.require_low_s = true;
  EXPECT_EQ(EvaluateSnpPolicy(p, high, TcbLayout::kMilanGenoa).verdict, "reject:high-s-signature");
  EXPECT_EQ(
      EvaluateSnpPolicy(p, snp::SignatureIsLowS(base) ? base : negated, TcbLayout::kMilanGenoa)
          .verdict,
      "accept");
}

TEST(SnpPolicyTest, UnconstrainedVmplIsSaidInANote) {
  SnpReport r = BaseReport();
  r.vmpl = 2;
  const PolicyDecision any = EvaluateSnpPolicy(SnpPolicy{}, r, TcbLayout::kMilanGenoa);
  EXPECT_EQ(any.verdict, "accept");
  ASSERT_EQ(any.notes.size(), 1u);
  EXPECT_TRUE(absl::StrContains(any.notes[0], "VMPL 2 accepted")) << any.notes[0];
  SnpPolicy p;
  p.max_vmpl = 2;
  EXPECT_TRUE(EvaluateSnpPolicy(p, r, TcbLayout::kMilanGenoa).notes.empty());
}

TEST(TdxPolicyTest, TdAttributesMaskIgnoresBitsOutsideIt) {
  VerificationReport r = TdxReport("0000001000000000");  // SEPT_VE_DISABLE set, not DEBUG
  r.fields.emplace_back("TD_ATTRIBUTES.SEPT_VE_DISABLE", "true");
  r.fields.emplace_back("TCB_STATUS", "UpToDate");
  auto p = ParsePolicyJson(R"({"tdx": {"accepted_tcb_statuses": ["OutOfDate"],
      "td_attributes": {"value": "0000001000000000", "mask": "ffffff1000000000"}}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(EvaluateTdxPolicy(p->tdx, r).verdict, "accept");
  // An unmasked bit (bit 30, PKS) may change freely; a masked one may not.
  r.fields[0].second = "0000005000000000";
  EXPECT_EQ(EvaluateTdxPolicy(p->tdx, r).verdict, "accept");
  r.fields[0].second = "0000000000000000";
  const PolicyDecision d = EvaluateTdxPolicy(p->tdx, r);
  EXPECT_EQ(d.verdict, "reject:TD_ATTRIBUTES");
  EXPECT_TRUE(absl::StrContains(d.reasons[0], "under mask ffffff1000000000")) << d.reasons[0];
}

TEST(TdxPolicyTest, SeptVeDisableRequiredOrNoted) {
  VerificationReport r = TdxReport("0000000000000000");
  r.fields.emplace_back("TD_ATTRIBUTES.SEPT_VE_DISABLE", "false");
  TdxPolicy p;
  p.accepted_tcb_statuses = {"OutOfDate"};
  const PolicyDecision lax = EvaluateTdxPolicy(p, r);
  EXPECT_EQ(lax.verdict, "accept");
  ASSERT_EQ(lax.notes.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lax.notes[0], "SEPT_VE_DISABLE"));
  p.require_sept_ve_disable = true;
  EXPECT_EQ(EvaluateTdxPolicy(p, r).verdict, "reject:TD_ATTRIBUTES.SEPT_VE_DISABLE");
  r.fields.back().second = "true";
  EXPECT_EQ(EvaluateTdxPolicy(p, r).verdict, "accept");
}

TEST(TdxPolicyTest, LowSRequiredOnlyWhenAsked) {
  VerificationReport r = TdxReport("0000000000000000");
  r.fields.emplace_back("QUOTE_SIGNATURE.LOW_S", "true");
  r.fields.emplace_back("QE_REPORT_SIGNATURE.LOW_S", "false");
  TdxPolicy p;
  p.accepted_tcb_statuses = {"OutOfDate"};
  EXPECT_EQ(EvaluateTdxPolicy(p, r).verdict, "accept");
  p.require_low_s = true;
  EXPECT_EQ(EvaluateTdxPolicy(p, r).verdict, "reject:QE_REPORT_SIGNATURE.LOW_S");
}

TEST(TdxPolicyTest, StatusNotAcceptedRejected) {
  TdxPolicy p;
  const PolicyDecision d = EvaluateTdxPolicy(p, TdxReport("0000000000000000"));
  EXPECT_EQ(d.verdict, "reject:TCB_STATUS");
}

}  // namespace
}  // namespace pv::attest::policy
