// Runs every `tdx-*` case of ../shared/vectors/manifest.json through TdxVerifier and compares
// each expected check. Comparison rule (shared with the pvattest conformance runner): the
// expected value's token before the first space or '(' must equal the report's value; values
// such as "ok,not-revoked" compare as written; a JSON array (advisories) compares as its
// compact JSON text. `policy_default` is the policy engine's business and is not compared here.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "absl/time/time.h"
#include "attest/tdx/tdx_verifier.h"
#include "gtest/gtest.h"
#include "tests/attest/tdx/test_files.h"

namespace pv::attest::tdx {
namespace {

using nlohmann::json;

std::string ExpectedToken(const json& expected) {
  if (!expected.is_string()) return expected.dump();  // compact: [] or ["A","B"]
  const std::string s = expected.get<std::string>();
  return s.substr(0, s.find_first_of(" ("));
}

json LoadManifest() {
  std::ifstream in(VectorPath("manifest.json"));
  EXPECT_TRUE(in.good()) << "cannot open " << VectorPath("manifest.json");
  return json::parse(in, nullptr, false);
}

std::string OptionalFile(const json& c, const char* key) {
  if (!c.contains(key) || !c[key].is_string()) return {};
  return ReadVector(c[key].get<std::string>());
}

class TdxManifestTest : public testing::TestWithParam<json> {};

}  // namespace
// Print only the case id in test listings (the whole JSON is noisy).
}  // namespace pv::attest::tdx
namespace nlohmann {
inline void PrintTo(const json& j, std::ostream* os) {
  *os << j.value("id", "?");
}
}  // namespace nlohmann
namespace pv::attest::tdx {
namespace {

TEST_P(TdxManifestTest, ProducesExpectedChecks) {
  const json& c = GetParam();
  SCOPED_TRACE(c["id"].get<std::string>());
  auto quote = LoadQuoteFile(VectorPath(c["quote"].get<std::string>()));
  ASSERT_TRUE(quote.ok()) << quote.status();
  TdxCollateral collateral;
  collateral.tcb_info_json = OptionalFile(c, "tcb_info");
  collateral.tcb_info_issuer_chain_pem = OptionalFile(c, "tcb_signing_chain");
  collateral.qe_identity_json = OptionalFile(c, "qe_identity");
  collateral.pck_crl = OptionalFile(c, "pck_crl");
  collateral.root_ca_crl = OptionalFile(c, "root_crl");
  collateral.pck_crl_issuer_chain_pem = OptionalFile(c, "pck_crl_chain");
  TdxVerifyOptions options;
  std::string err;
  ASSERT_TRUE(
      absl::ParseTime(absl::RFC3339_full, c["verify_time"].get<std::string>(), &options.now, &err))
      << err;
  options.root_certificate = ReadVector(c["root"].get<std::string>());
  TdxVerifier verifier;
  auto report = verifier.Verify(*quote, collateral, options);
  ASSERT_TRUE(report.ok()) << report.status();
  std::string all;
  for (const auto& check : report->checks) all += check.name + "=" + check.value + "\n";
  if (getenv("PV_TDX_TEST_VERBOSE") != nullptr) {
    std::cout << all;
    for (const auto& [k, v] : report->fields) std::cout << "  " << k << "=" << v << "\n";
  }
  for (const auto& [name, expected] : c["expected"].items()) {
    if (name == "policy_default") continue;
    const CheckOutcome* got = report->Find(name);
    ASSERT_NE(got, nullptr) << "no check " << name << "\n" << all;
    EXPECT_EQ(got->value, ExpectedToken(expected)) << "check " << name << "\n" << all;
  }
  // A second verification with the same verifier hits every cache and must agree.
  auto again = verifier.Verify(*quote, collateral, options);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->checks.size(), report->checks.size());
  for (size_t i = 0; i < report->checks.size(); ++i) {
    EXPECT_EQ(again->checks[i].value, report->checks[i].value) << report->checks[i].name;
  }
}

std::vector<json> TdxCases() {
  std::vector<json> out;
  json m = LoadManifest();
  if (!m.is_object()) return out;
  for (const auto& c : m["cases"]) {
    if (c.value("tee", "") == "tdx") out.push_back(c);
  }
  return out;
}

std::string CaseName(const testing::TestParamInfo<json>& info) {
  std::string n = info.param["id"].get<std::string>();
  for (char& ch : n) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Manifest, TdxManifestTest, testing::ValuesIn(TdxCases()), CaseName);

// Guards against a manifest that failed to load (which would instantiate no cases at all).
TEST(TdxManifest, HasAtLeastTheNineTdxCases) {
  EXPECT_GE(TdxCases().size(), 9u);
}

}  // namespace
}  // namespace pv::attest::tdx
