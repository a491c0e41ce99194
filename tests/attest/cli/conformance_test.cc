// The conformance runner: its comparison rules, the full shared manifest (every case must pass),
// and a manifest with a deliberately wrong expectation (the runner must notice).
#include "attest/cli/conformance.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "attest/common/bytes.h"
#include "attest/common/report_output.h"

namespace pv::attest::cli {
namespace {

using Json = nlohmann::json;

bool Matches(const Json& expected, const std::string& actual) {
  std::string why;
  return ExpectedValueMatches(expected, actual, &why);
}

TEST(ConformanceRulesTest, TokenBeforeSpaceOrParenthesisIsCompared) {
  EXPECT_TRUE(Matches("match (Turin layout FMC/BL/TEE/SNP/../UCODE)", "match"));
  EXPECT_TRUE(Matches("n/a (VLEK has CSP_ID)", "n/a"));
  EXPECT_TRUE(Matches("accept (allow SMT)", "accept"));
  EXPECT_TRUE(Matches("ok,not-revoked", "ok,not-revoked"));
  EXPECT_FALSE(Matches("ok,not-revoked", "ok"));
  EXPECT_FALSE(Matches("match", "n/a"));
  EXPECT_FALSE(Matches("ok", "okay"));
}

TEST(ConformanceRulesTest, ActualDetailAfterSpaceIgnored) {
  EXPECT_TRUE(Matches("fail:bad-signature", "fail:bad-signature signature of 'x' ..."));
  EXPECT_FALSE(Matches("fail:bad-signature", "fail:unknown-issuer detail"));
}

TEST(ConformanceRulesTest, BareFailMatchesAnyFailure) {
  EXPECT_TRUE(Matches("fail", "fail:bad-signature"));
  EXPECT_TRUE(Matches("fail", "fail"));
  EXPECT_FALSE(Matches("fail", "ok"));
  EXPECT_FALSE(Matches("fail:x", "fail"));
}

TEST(ConformanceRulesTest, AdvisoryListsCompareAsSets) {
  EXPECT_TRUE(Matches(Json::array(), "[]"));
  EXPECT_TRUE(Matches(Json::array({"A", "B"}), R"(["B","A"])"));
  EXPECT_FALSE(Matches(Json::array(), R"(["A"])"));
  EXPECT_FALSE(Matches(Json::array(), "ok"));
}

TEST(ConformanceRulesTest, UnknownOrMissingChecksAreMismatches) {
  VerificationReport report;
  report.checks.push_back({"signature", "ok", true});
  report.policy = "reject:debug-allowed";
  const Json expected = {
      {"signature", "ok"}, {"chain", "ok"}, {"policy_default", "reject:debug-allowed"}};
  const auto mismatches = CompareExpectations(expected, report);
  ASSERT_EQ(mismatches.size(), 1u);
  EXPECT_NE(mismatches[0].find("chain"), std::string::npos);
}

TEST(ReportOutputTest, JsonTextSurvivesInvalidUtf8FromCertificates) {
  VerificationReport report;
  report.checks.push_back({"advisories", R"(["INTEL-SA-00001"])", true});
  report.fields.emplace_back("VEK.PRODUCT_NAME", "Mil\xff\xfe");
  const std::string text = ReportToJsonText(report);
  const Json j = Json::parse(text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text;
  EXPECT_TRUE(j["advisories"].is_array());
  EXPECT_EQ(j["verdict"], "accept");
  EXPECT_EQ(j["fields"]["VEK.PRODUCT_NAME"].get<std::string>().substr(0, 3), "Mil");
}

TEST(ConformanceManifestTest, EverySharedVectorCasePasses) {
  auto summary = RunConformanceManifest(std::string(PV_VECTORS_DIR) + "/manifest.json");
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_GE(summary->cases.size(), 19u);
  for (const auto& c : summary->cases) {
    EXPECT_TRUE(c.passed) << c.id << ": " << ::testing::PrintToString(c.mismatches);
  }
  EXPECT_EQ(summary->failed, 0);
}

TEST(ConformanceManifestTest, WrongExpectationIsCountedAsFailure) {
  auto data = ReadFileBytes(std::string(PV_VECTORS_DIR) + "/manifest.json");
  ASSERT_TRUE(data.ok());
  Json manifest = Json::parse(data->begin(), data->end());
  Json snp_case;
  for (const auto& c : manifest["cases"]) {
    if (c["id"] == "snp-milan-v2-debug") snp_case = c;
  }
  ASSERT_FALSE(snp_case.is_null());
  // Paths stay relative to the vectors directory: write the manifest next to it is not allowed,
  // so make them absolute instead.
  for (const char* key : {"report", "vek", "ask_ark"}) {
    snp_case[key] = std::string(PV_VECTORS_DIR) + "/" + snp_case[key].get<std::string>();
  }
  Json flipped = snp_case;
  flipped["expected"]["policy_default"] = "accept";
  Json good = snp_case;
  Json doc = {{"cases", Json::array({good, flipped})}};
  const auto path = std::filesystem::temp_directory_path() / "pv_conformance_flipped.json";
  std::ofstream(path) << doc.dump();
  auto summary = RunConformanceManifest(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->passed, 1);
  EXPECT_EQ(summary->failed, 1);
}

}  // namespace
}  // namespace pv::attest::cli
