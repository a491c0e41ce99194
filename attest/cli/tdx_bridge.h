// The CLI's single doorway to the TDX verifier (attest/tdx, target pv_attest_tdx). When that
// library is not part of the build, every function here returns an Unimplemented error, which
// the CLI reports with exit status 2.
#ifndef PV_ATTEST_CLI_TDX_BRIDGE_H_
#define PV_ATTEST_CLI_TDX_BRIDGE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/common/time_util.h"
#include "attest/common/verification_report.h"
#include "attest/policy/policy.h"

namespace pv::attest::cli {

// File paths of a TDX verification's inputs; empty = not supplied.
struct TdxFiles {
  std::string quote;
  std::string root;         // trust anchor; must be pinned unless allow_root
  std::string root_der;     // the anchor itself (from a trust directory); overrides `root`
  bool allow_root = false;  // `--allow-root FILE` (root = FILE, pin not required)
  std::string tcb_info;
  std::string tcb_signing_chain;
  std::string qe_identity;
  std::string pck_crl;
  std::string root_crl;
  std::string pck_crl_chain;
  std::string collateral_dir;    // Intel PCS-keyed cache directory (see tdx_verifier.h)
  std::string phala_collateral;  // dcap-qvl QuoteCollateralV3 JSON
  bool strict_length = false;    // --strict-length (attest/common/evidence_length.h)
};

bool TdxVerifierAvailable();

// Verifies the quote at `now`, passing the policy's TCB-status and missing-collateral choices to
// the verifier. The policy itself is applied by the caller.
absl::StatusOr<VerificationReport> VerifyTdxFiles(const TdxFiles& files, UnixTime now,
                                                  const policy::TdxPolicy& policy);

// Decoded fields of a quote (for `inspect`), without trust decisions.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> InspectTdxQuote(
    const std::string& path);

}  // namespace pv::attest::cli

#endif  // PV_ATTEST_CLI_TDX_BRIDGE_H_
