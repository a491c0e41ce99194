// The KBS policy document (<store>/policy.json): reference values for appraisal in the
// attest/policy format, plus which resources a verified partition may receive.
//
// {
//   "attestation": { "snp": {...}, "tdx": {...} },     // attest/policy/policy.h format
//   "resources": [
//     {"path": "default/key/demo",                    // repo/type/tag; a component may be "*"
//      "tees": ["snp", "tdx"],                         // default: both
//      "measurements": ["<96 hex>"]}                   // SNP MEASUREMENT or TDX MRTD allow-list
//   ]                                                  // (default: any that passed appraisal)
// }
// Unknown keys are refused. A resource no grant matches is never released.
#ifndef PV_KBS_KBS_POLICY_H_
#define PV_KBS_KBS_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/policy/policy.h"
#include "kbs/protocol.h"

namespace pv::kbs {

struct ResourceGrant {
  std::string repo, type, tag;  // "*" matches any value of that component
  bool snp = true, tdx = true;
  bool sample = false;                    // trustee's test TEE: only when the grant names it
  std::vector<std::string> measurements;  // lowercase hex; empty = any
};

struct KbsPolicy {
  attest::policy::Policy attestation = attest::policy::DefaultPolicy();
  std::vector<ResourceGrant> grants;
};

absl::StatusOr<KbsPolicy> ParseKbsPolicy(std::string_view text);

// Whether `grants` release resource repo/type/tag to a partition of `tee` whose launch
// measurement (SNP MEASUREMENT / TDX MRTD, lowercase hex) is `measurement`. On denial
// `reason` says why.
bool ResourceAllowed(const KbsPolicy& policy, const std::string& repo, const std::string& type,
                     const std::string& tag, TeeKind tee, const std::string& measurement,
                     std::string* reason);

}  // namespace pv::kbs

#endif  // PV_KBS_KBS_POLICY_H_
