// TDX TCB status evaluation following Intel QVL (EvaluateTcb.cpp, current version): platform
// level from the PCK SGX components, PCESVN and TEE_TCB_SVN; TDX module level from
// tdxModuleIdentities; QE identity level from the QE report; statuses converged.
#ifndef PV_ATTEST_TDX_TCB_EVAL_H_
#define PV_ATTEST_TDX_TCB_EVAL_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/pck_extensions.h"

namespace pv::attest::tdx {

inline constexpr absl::string_view kTcbNotSupported = "TCB_NOT_SUPPORTED";

// Result of matching the QE report against a QE identity.
struct QeIdentityResult {
  std::string failure;  // non-empty: "<field>-mismatch seen=.. expected=.."
  std::string status;   // level status, or TCB_NOT_SUPPORTED when no level applies
  std::string tcb_date;
  std::vector<std::string> advisory_ids;
};

QeIdentityResult EvaluateQeIdentity(const QeIdentity& identity, absl::string_view qe_report);

struct TcbEvaluation {
  std::string failure;  // non-empty: the TCB info does not apply ("fmspc-mismatch ...")
  std::string status;   // converged QVL status
  std::string platform_status;
  std::string module_status;  // empty when TEE_TCB_SVN[1] == 0 (no module identity used)
  std::string tcb_date;       // earliest of the matched levels' dates
  std::vector<std::string> advisory_ids;
};

// `td_body` is the TD report body; `qe` the QE identity result if a QE identity was supplied.
TcbEvaluation EvaluateTdxTcb(const TcbInfo& info, const PckExtensions& pck,
                             absl::string_view td_body, const QeIdentityResult* qe);

// QVL's convergence of a platform status with a module or QE status.
std::string ConvergeStatus(const std::string& platform, const std::string& other);

}  // namespace pv::attest::tdx

#endif  // PV_ATTEST_TDX_TCB_EVAL_H_
