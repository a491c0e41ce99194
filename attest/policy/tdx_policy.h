// Evaluates a TdxPolicy against the fields a TDX verification reported (field names as listed
// in attest/tdx/tdx_verifier.h: TD_ATTRIBUTES, TD_ATTRIBUTES.DEBUG, MRTD, RTMR0..3, MRCONFIGID,
// MROWNER, MROWNERCONFIG, REPORT_DATA, TEE_TCB_SVN, TCB_STATUS, ADVISORY_IDS).
// Reason tokens are the field names: TD_ATTRIBUTES.DEBUG, TD_ATTRIBUTES, MRTD, RTMR<n>,
// MRCONFIGID, MROWNER, MROWNERCONFIG, REPORT_DATA, TEE_TCB_SVN, TCB_STATUS, ADVISORY_IDS,
// TD_ATTRIBUTES.SEPT_VE_DISABLE, QUOTE_SIGNATURE.LOW_S, QE_REPORT_SIGNATURE.LOW_S.
// A field the policy constrains but the report lacks is a rejection, never a pass.
#ifndef PV_ATTEST_POLICY_TDX_POLICY_H_
#define PV_ATTEST_POLICY_TDX_POLICY_H_

#include "attest/common/verification_report.h"
#include "attest/policy/policy.h"

namespace pv::attest::policy {

PolicyDecision EvaluateTdxPolicy(const TdxPolicy& policy, const VerificationReport& report);

}  // namespace pv::attest::policy

#endif  // PV_ATTEST_POLICY_TDX_POLICY_H_
