// Evaluates an SnpPolicy against a parsed (and separately verified) SNP report.
// Reason tokens: debug-allowed, smt-allowed, migration-agent-allowed, vmpl, report-version,
// tcb-below-minimum, launch-tcb-below-minimum, measurement-not-allowed, host-data-mismatch,
// report-data-mismatch, family-id-mismatch, image-id-mismatch, guest-svn-below-minimum,
// id-key-digest-not-allowed, author-key-digest-not-allowed, high-s-signature. A VMPL the policy
// leaves unconstrained is accepted with a note saying so.
#ifndef PV_ATTEST_POLICY_SNP_POLICY_H_
#define PV_ATTEST_POLICY_SNP_POLICY_H_

#include "attest/policy/policy.h"
#include "attest/snp/snp_report.h"
#include "attest/snp/snp_tcb.h"

namespace pv::attest::policy {

PolicyDecision EvaluateSnpPolicy(const SnpPolicy& policy, const snp::SnpReport& report,
                                 snp::TcbLayout layout);

}  // namespace pv::attest::policy

#endif  // PV_ATTEST_POLICY_SNP_POLICY_H_
