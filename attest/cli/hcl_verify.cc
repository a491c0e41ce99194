#include "attest/cli/hcl_verify.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attest/common/evidence_length.h"
#include "attest/hcl/hcl_report.h"
#include "attest/policy/tdx_policy.h"

namespace pv::attest::cli {
namespace {

absl::StatusOr<hcl::HclReport> LoadHcl(const std::string& path, hcl::HclReportType want) {
  auto data = ReadFileBytes(path, hcl::kMaxHclReportSize);
  if (!data.ok()) return data.status();
  auto report = hcl::ParseHclReport(*data);
  if (!report.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", report.status().message()));
  }
  if (report->type != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": the HCL report carries ",
        report->type == hcl::HclReportType::kSnp ? "an SEV-SNP report" : "a TDX TDREPORT",
        want == hcl::HclReportType::kSnp ? ", not an SEV-SNP report (use verify tdx)"
                                         : ", not a TDX TDREPORT (use verify snp)"));
  }
  return report;
}

void AddCheck(VerificationReport& report, std::string name, const std::string& value) {
  const bool passed = value == "ok";
  if (!passed) report.reasons.push_back(absl::StrCat(name, ": ", value));
  report.checks.push_back({std::move(name), value, passed});
}

// The checks every HCL report gets, and its fields.
void AddHclChecks(const hcl::HclReport& h, bool strict_length, VerificationReport& report) {
  AddCheck(report, "runtime_claims_binding", hcl::CheckRuntimeClaimsBinding(h));
  AddCheck(report, "hcl_length", EvaluateEvidenceLength(h.length, strict_length, "HCL report"));
  for (auto& f : hcl::DescribeHclReport(h)) report.fields.push_back(std::move(f));
}

std::string FieldOf(const VerificationReport& report, const std::string& name) {
  for (const auto& [key, value] : report.fields) {
    if (key == name) return value;
  }
  return "";
}

// The quote's body against the TDREPORT, field by field (both lowercase hex).
std::string CompareTdReportWithQuote(const VerificationReport& quote, ByteSpan tdreport) {
  std::string diff;
  for (const auto& [name, value] : hcl::DescribeTdReport(tdreport, "")) {
    static constexpr const char* kCompared[] = {
        "TEE_TCB_SVN", "MRSEAM", "MRSIGNERSEAM", "SEAM_ATTRIBUTES", "TD_ATTRIBUTES",
        "XFAM",        "MRTD",   "MRCONFIGID",   "MROWNER",         "MROWNERCONFIG",
        "RTMR0",       "RTMR1",  "RTMR2",        "RTMR3",           "REPORT_DATA"};
    bool compared = false;
    for (const char* c : kCompared) compared = compared || name == c;
    if (!compared) continue;
    const std::string seen = FieldOf(quote, name);
    if (seen != value) {
      absl::StrAppend(&diff, diff.empty() ? "" : "; ", name, " quote=", seen.empty() ? "?" : seen,
                      " tdreport=", value);
    }
  }
  return diff.empty() ? "ok" : absl::StrCat("fail:mismatch ", diff);
}

}  // namespace

absl::StatusOr<VerificationReport> VerifyHclSnp(const std::string& hcl_path, const SnpFiles& files,
                                                UnixTime now, const policy::SnpPolicy& policy) {
  auto h = LoadHcl(hcl_path, hcl::HclReportType::kSnp);
  if (!h.ok()) return h.status();
  SnpFiles inner = files;
  inner.report = hcl_path;
  auto report = VerifySnpEvidence(h->hardware_report, inner, now, policy);
  if (!report.ok()) return report.status();
  AddHclChecks(*h, files.strict_length, *report);
  return report;
}

absl::StatusOr<VerificationReport> VerifyHclTdx(const std::string& hcl_path, const TdxFiles* quote,
                                                bool strict_length, UnixTime now,
                                                const policy::TdxPolicy& policy) {
  auto h = LoadHcl(hcl_path, hcl::HclReportType::kTdx);
  if (!h.ok()) return h.status();
  VerificationReport report;
  report.tee = Tee::kTdx;
  if (quote != nullptr) {
    auto verified = VerifyTdxFiles(*quote, now, policy);
    if (!verified.ok()) return verified.status();
    report = std::move(*verified);
    policy::ApplyDecision(policy::EvaluateTdxPolicy(policy, report), &report);
  }
  AddCheck(report, "tdreport_hashes", hcl::CheckTdReportHashes(h->hardware_report));
  if (quote != nullptr) {
    AddCheck(report, "tdreport_vs_quote", CompareTdReportWithQuote(report, h->hardware_report));
  } else {
    AddCheck(report, "tdreport_vs_quote",
             "fail:no-quote the TDREPORT's MAC can only be checked on the platform that made it; "
             "give the TD quote (--quote and its collateral) to authenticate it");
    report.notes.push_back(
        "TDREPORT fields and runtime claims below are unauthenticated: no TD quote was given");
  }
  for (auto& f : hcl::DescribeTdReport(h->hardware_report, "TDREPORT.")) {
    report.fields.push_back(std::move(f));
  }
  AddHclChecks(*h, strict_length, report);
  return report;
}

}  // namespace pv::attest::cli
