// The outcome of verifying one piece of attestation evidence, shared by the SEV-SNP and TDX
// verifiers, the `pvattest` CLI (text and --json output) and the conformance runner.
//
// Check names and values use the vocabulary of ../shared/vectors/manifest.json:
//   SNP: signature, chain, tcb_vs_cert, chip_id
//   TDX: quote_sig, qe_report_sig, ak_binding, pck_chain, pck_crl, root_crl, collateral_sigs,
//        qe_identity, tcb (a QVL status name), advisories
// A value is "ok", "fail:<reason>", "match", "n/a", or a status name such as "UpToDate".
#ifndef PV_ATTEST_COMMON_VERIFICATION_REPORT_H_
#define PV_ATTEST_COMMON_VERIFICATION_REPORT_H_

#include <string>
#include <utility>
#include <vector>

namespace pv::attest {

enum class Tee { kSevSnp, kTdx };

struct CheckOutcome {
  std::string name;   // e.g. "signature", "pck_chain"
  std::string value;  // e.g. "ok", "fail:bad-signature", "UpToDate"
  bool passed = false;
};

struct VerificationReport {
  Tee tee = Tee::kSevSnp;
  int version = 0;                   // report / quote version
  std::vector<CheckOutcome> checks;  // in the order they were run
  std::string policy = "accept";     // "accept" or "reject:<reason>"
  std::vector<std::string> reasons;  // human-readable reasons for any failure or rejection
  // Facts a reader should not miss that are not failures: what the policy left unconstrained
  // (e.g. "VMPL 2 accepted: the policy sets no vmpl or max_vmpl"), what could not be verified.
  std::vector<std::string> notes;
  std::vector<std::pair<std::string, std::string>> fields;  // decoded fields, name -> value

  // Accepted only if every check passed and the policy accepted.
  bool Accepted() const {
    for (const auto& c : checks) {
      if (!c.passed) return false;
    }
    return policy == "accept";
  }

  const CheckOutcome* Find(const std::string& name) const {
    for (const auto& c : checks) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
};

}  // namespace pv::attest

#endif  // PV_ATTEST_COMMON_VERIFICATION_REPORT_H_
