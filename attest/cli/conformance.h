// The conformance runner: verifies every case of a manifest in the format of
// ../shared/vectors/manifest.json and compares each expected value with the verifier's result.
//
// How an expected value is compared (documented in README.md too):
//  * A check name (signature, chain, tcb_vs_cert, chip_id, quote_sig, qe_report_sig, ak_binding,
//    pck_chain, pck_crl, root_crl, collateral_sigs, qe_identity, tcb) is looked up in the
//    report's checks; a check the verifier did not report is a mismatch.
//  * The expected value's token is its text up to the first space or '(' (so
//    "match (Turin layout ...)" is "match", "n/a (VLEK has CSP_ID)" is "n/a"); commentary after
//    it is not compared. The actual value's token is its text up to the first space (verifiers
//    append detail after a space). The tokens must be equal, except that a bare expected "fail"
//    matches any "fail:<reason>".
//  * "advisories" expects a JSON array; the check's value must parse as a JSON array with the
//    same members (order ignored).
//  * "policy_default" is compared, by the same token rule, with the `policy` verdict under the
//    default policy (debug forbidden; see attest/policy/policy.h), e.g. "accept (allow SMT)" ->
//    "accept", "reject:debug-allowed".
//  * Any other expected key is a mismatch (nothing is silently skipped).
// Cases: tee "sev-snp" / "tdx" as before; an "hcl_report" file (or tee "az-snp-vtpm" /
// "az-tdx-vtpm", trustee's names) verifies an Azure HCL report with the same certificate and
// collateral keys (attest/cli/hcl_verify.h), adding runtime_claims_binding, hcl_length and, for
// TDX, tdreport_hashes and tdreport_vs_quote.
// A case passes only if every expected key matches; a case whose evidence cannot be used at
// all (verification returns an error) fails.
#ifndef PV_ATTEST_CLI_CONFORMANCE_H_
#define PV_ATTEST_CLI_CONFORMANCE_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "attest/common/verification_report.h"

namespace pv::attest::cli {

struct ConformanceCaseResult {
  std::string id;
  std::string tee;
  bool passed = false;
  std::vector<std::string> mismatches;
};

struct ConformanceSummary {
  std::vector<ConformanceCaseResult> cases;
  int passed = 0;
  int failed = 0;
};

// Whether `actual` satisfies `expected` under the rules above; on mismatch `why` says how.
bool ExpectedValueMatches(const nlohmann::json& expected, const std::string& actual,
                          std::string* why);

// Compares every expected key of one case with a verification report.
std::vector<std::string> CompareExpectations(const nlohmann::json& expected,
                                             const VerificationReport& report);

// Runs every case. Errors only if the manifest itself cannot be read or has the wrong shape.
// `strict_length` is the suite's length rule (attest/common/evidence_length.h); a case may turn
// it off for itself with "strict_length": false.
absl::StatusOr<ConformanceSummary> RunConformanceManifest(const std::string& manifest_path,
                                                          bool strict_length = true);

}  // namespace pv::attest::cli

#endif  // PV_ATTEST_CLI_CONFORMANCE_H_
