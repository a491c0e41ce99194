#include "attest/cli/conformance.h"

#include <algorithm>
#include <filesystem>
#include <iomanip>

#include "absl/strings/str_cat.h"
#include "attest/cli/args.h"
#include "attest/cli/commands.h"
#include "attest/cli/hcl_verify.h"
#include "attest/cli/tdx_bridge.h"
#include "attest/common/bytes.h"
#include "attest/policy/policy.h"
#include "attest/policy/tdx_policy.h"

namespace pv::attest::cli {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxManifestBytes = size_t{4} * 1024 * 1024;
constexpr size_t kMaxCases = 10000;

std::string ExpectedToken(const std::string& text) {
  const size_t end = text.find_first_of(" (");
  std::string token = text.substr(0, end);
  return token;
}

std::string ActualToken(const std::string& text) {
  return text.substr(0, text.find(' '));
}

std::string StringField(const Json& c, const char* key) {
  if (!c.contains(key) || !c.at(key).is_string()) return "";
  return c.at(key).get<std::string>();
}

// A manifest path, resolved relative to the manifest's directory; "" stays "".
std::string Resolve(const std::filesystem::path& base, const Json& c, const char* key) {
  const std::string rel = StringField(c, key);
  if (rel.empty()) return "";
  return (base / rel).string();
}

absl::StatusOr<VerificationReport> RunCase(const std::filesystem::path& base, const Json& c,
                                           UnixTime now, bool strict_length) {
  const std::string tee = StringField(c, "tee");
  const policy::Policy defaults = policy::DefaultPolicy();
  // A case may relax the suite's length rule for itself ("strict_length": false).
  if (c.contains("strict_length") && c.at("strict_length").is_boolean()) {
    strict_length = c.at("strict_length").get<bool>();
  }
  const std::string hcl = Resolve(base, c, "hcl_report");
  if (tee == "sev-snp" || tee == "az-snp-vtpm") {
    SnpFiles files;
    files.report = Resolve(base, c, "report");
    files.vek = Resolve(base, c, "vek");
    files.chain = Resolve(base, c, "ask_ark");
    files.cert_table = Resolve(base, c, "cert_table");
    files.strict_length = strict_length;
    if (!hcl.empty()) return VerifyHclSnp(hcl, files, now, defaults.snp);
    return VerifySnpFiles(files, now, defaults.snp);
  }
  if (tee == "tdx" || tee == "az-tdx-vtpm") {
    TdxFiles files;
    files.quote = Resolve(base, c, "quote");
    files.root = Resolve(base, c, "root");
    files.tcb_info = Resolve(base, c, "tcb_info");
    files.tcb_signing_chain = Resolve(base, c, "tcb_signing_chain");
    files.qe_identity = Resolve(base, c, "qe_identity");
    files.pck_crl = Resolve(base, c, "pck_crl");
    files.root_crl = Resolve(base, c, "root_crl");
    files.pck_crl_chain = Resolve(base, c, "pck_crl_chain");
    files.strict_length = strict_length;
    if (!hcl.empty()) {
      return VerifyHclTdx(hcl, files.quote.empty() ? nullptr : &files, strict_length, now,
                          defaults.tdx);
    }
    auto report = VerifyTdxFiles(files, now, defaults.tdx);
    if (!report.ok()) return report.status();
    policy::ApplyDecision(policy::EvaluateTdxPolicy(defaults.tdx, *report), &*report);
    return report;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown tee '", tee, "'"));
}

}  // namespace

bool ExpectedValueMatches(const Json& expected, const std::string& actual, std::string* why) {
  if (expected.is_array()) {
    const Json parsed = Json::parse(actual, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_array()) {
      *why = absl::StrCat("expected a list ", expected.dump(), ", got '", actual, "'");
      return false;
    }
    std::vector<std::string> want, got;
    for (const auto& e : expected) want.push_back(e.dump());
    for (const auto& e : parsed) got.push_back(e.dump());
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    if (want != got) {
      *why = absl::StrCat("expected ", expected.dump(), ", got ", parsed.dump());
      return false;
    }
    return true;
  }
  if (!expected.is_string()) {
    *why = absl::StrCat("unsupported expected value ", expected.dump());
    return false;
  }
  const std::string want = ExpectedToken(expected.get<std::string>());
  const std::string got = ActualToken(actual);
  const bool ok = want == "fail" ? (got == "fail" || got.rfind("fail:", 0) == 0) : want == got;
  if (!ok) *why = absl::StrCat("expected '", want, "', got '", actual, "'");
  return ok;
}

std::vector<std::string> CompareExpectations(const Json& expected,
                                             const VerificationReport& report) {
  std::vector<std::string> mismatches;
  if (!expected.is_object()) return {"'expected' is not an object"};
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    const std::string& key = it.key();
    std::string actual;
    if (key == "policy_default") {
      actual = report.policy;
    } else if (const CheckOutcome* check = report.Find(key)) {
      actual = check->value;
    } else {
      mismatches.push_back(absl::StrCat(key, ": not reported by the verifier"));
      continue;
    }
    std::string why;
    if (!ExpectedValueMatches(it.value(), actual, &why)) {
      mismatches.push_back(absl::StrCat(key, ": ", why));
    }
  }
  return mismatches;
}

absl::StatusOr<ConformanceSummary> RunConformanceManifest(const std::string& manifest_path,
                                                          bool strict_length) {
  auto data = ReadFileBytes(manifest_path, kMaxManifestBytes);
  if (!data.ok()) return data.status();
  const Json manifest = Json::parse(data->begin(), data->end(), nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object() || !manifest.contains("cases") ||
      !manifest.at("cases").is_array() || manifest.at("cases").size() > kMaxCases) {
    return absl::InvalidArgumentError(
        absl::StrCat(manifest_path, ": not a manifest (JSON object with a 'cases' array)"));
  }
  const std::filesystem::path base = std::filesystem::path(manifest_path).parent_path();
  ConformanceSummary summary;
  for (const Json& c : manifest.at("cases")) {
    ConformanceCaseResult result;
    result.id = c.is_object() ? StringField(c, "id") : "";
    result.tee = c.is_object() ? StringField(c, "tee") : "";
    if (!c.is_object() || result.id.empty() || !c.contains("expected")) {
      result.mismatches.push_back("case has no id or no expected outcomes");
    } else {
      auto now = ParseRfc3339(StringField(c, "verify_time"));
      if (!now.ok()) {
        result.mismatches.push_back(absl::StrCat("verify_time: ", now.status().message()));
      } else {
        auto report = RunCase(base, c, *now, strict_length);
        if (!report.ok()) {
          result.mismatches.push_back(absl::StrCat("unusable: ", report.status().message()));
        } else {
          result.mismatches = CompareExpectations(c.at("expected"), *report);
        }
      }
    }
    result.passed = result.mismatches.empty();
    (result.passed ? summary.passed : summary.failed)++;
    summary.cases.push_back(std::move(result));
  }
  return summary;
}

int RunConformance(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  static constexpr const char* kUsage =
      "usage: pvattest conformance MANIFEST [--no-strict-length]\n"
      "Runs every case of MANIFEST (paths relative to it) and prints 'N passed, N failed'.\n"
      "Evidence is judged with --strict-length unless --no-strict-length (or a case's\n"
      "\"strict_length\": false). Exit: 0 all passed, 1 some failed, 2 unusable manifest.\n";
  auto args = Args::Parse(argv, {}, {"no-strict-length"});
  if (args.ok() && PrintHelpIfRequested(*args, kUsage, out)) return kExitAccepted;
  if (!args.ok() || args->positional().size() != 1) {
    err << kUsage;
    return kExitUnusable;
  }
  auto summary = RunConformanceManifest(args->positional()[0], !args->Has("no-strict-length"));
  if (!summary.ok()) {
    err << "pvattest: " << summary.status().message() << "\n";
    return kExitUnusable;
  }
  size_t id_width = 4;
  for (const auto& c : summary->cases) id_width = std::max(id_width, c.id.size());
  out << std::left << std::setw(static_cast<int>(id_width)) << "case"
      << "  " << std::setw(8) << "tee"
      << "  result\n";
  for (const auto& c : summary->cases) {
    out << std::left << std::setw(static_cast<int>(id_width)) << c.id << "  " << std::setw(8)
        << c.tee << "  " << (c.passed ? "pass" : "FAIL") << "\n";
    for (const auto& m : c.mismatches) out << "    " << m << "\n";
  }
  out << summary->passed << " passed, " << summary->failed << " failed\n";
  return summary->failed == 0 ? kExitAccepted : kExitRejected;
}

}  // namespace pv::attest::cli
