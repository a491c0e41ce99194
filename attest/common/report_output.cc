#include "attest/common/report_output.h"

#include "absl/strings/str_cat.h"

namespace pv::attest {

std::string TeeName(Tee tee) {
  return tee == Tee::kTdx ? "tdx" : "sev-snp";
}

nlohmann::ordered_json ReportToJson(const VerificationReport& report) {
  nlohmann::ordered_json j;
  j["tee"] = TeeName(report.tee);
  j["version"] = report.version;
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const auto& c : report.checks) {
    // Advisory lists are carried as compact JSON text; emit them as real arrays.
    nlohmann::ordered_json value = c.value;
    if (c.name == "advisories") {
      auto parsed = nlohmann::ordered_json::parse(c.value, nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_discarded()) value = parsed;
    }
    j[c.name] = value;
    checks.push_back({{"name", c.name}, {"value", c.value}, {"passed", c.passed}});
  }
  j["checks"] = checks;
  j["policy"] = report.policy;
  j["verdict"] = report.Accepted() ? "accept" : "reject";
  j["reasons"] = report.reasons;
  j["notes"] = report.notes;
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  for (const auto& [name, value] : report.fields) fields[name] = value;
  j["fields"] = fields;
  return j;
}

std::string ReportToJsonText(const VerificationReport& report, int indent) {
  return ReportToJson(report).dump(indent, ' ', /*ensure_ascii=*/false,
                                   nlohmann::ordered_json::error_handler_t::replace);
}

std::string ReportToText(const VerificationReport& report) {
  std::string out = absl::StrCat("tee: ", TeeName(report.tee), "  version: ", report.version, "\n");
  for (const auto& c : report.checks) {
    absl::StrAppend(&out, "  ", c.passed ? "[pass] " : "[FAIL] ", c.name, ": ", c.value, "\n");
  }
  absl::StrAppend(&out, "  policy: ", report.policy, "\n");
  absl::StrAppend(&out, "verdict: ", report.Accepted() ? "ACCEPT" : "REJECT", "\n");
  for (const auto& r : report.reasons) absl::StrAppend(&out, "  reason: ", r, "\n");
  for (const auto& n : report.notes) absl::StrAppend(&out, "  note: ", n, "\n");
  // An HCL report's runtime claims are what a relying party uses next (the vTPM AK), so the
  // text output shows them too; --json has them among the fields.
  for (const auto& [name, value] : report.fields) {
    if (name == "HCL.AK_PUB" || name == "HCL.USER_DATA" || name == "HCL.RUNTIME_CLAIMS") {
      absl::StrAppend(&out, "  ", name, ": ", value, "\n");
    }
  }
  return out;
}

}  // namespace pv::attest
