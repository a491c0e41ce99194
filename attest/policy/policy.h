// Appraisal policy: what an operator requires of evidence beyond its cryptographic validity.
// Loaded from JSON (format below); every field has an explicit default, and unknown keys are
// refused so a misspelt requirement never silently disappears.
//
// {
//   "snp": {
//     "allow_debug": false,            // POLICY.DEBUG must be 0            (default: forbidden)
//     "allow_smt": true,               // POLICY.SMT may be 1               (default: allowed)
//     "allow_migration_agent": false,  // POLICY.MIGRATE_MA must be 0      (default: forbidden)
//     "vmpl": 0,                       // exact VMPL                        (default: any)
//     "max_vmpl": 3,                   // VMPL <= max_vmpl                  (default: any)
//     "minimum_tcb": {"fmc": 0, "bl": 3, "tee": 0, "snp": 8, "ucode": 115},  // REPORTED_TCB
//     "minimum_launch_tcb": {...},     // LAUNCH_TCB, same keys             (default: none)
//     "measurements": ["<96 hex>"],    // allow-list of MEASUREMENT         (default: any)
//     "host_data": "<64 hex>", "report_data": "<128 hex>",
//     "family_id": "<32 hex>", "image_id": "<32 hex>",                      (default: any)
//     "minimum_guest_svn": 0,
//     "id_key_digests": ["<96 hex>"], "author_key_digests": ["<96 hex>"],  (default: any)
//     "minimum_report_version": 2,
//     "require_low_s": false           // SIGNATURE s <= n/2                (default: not required)
//   },
//   "tdx": {
//     "allow_debug": false,            // TD_ATTRIBUTES.DEBUG must be 0     (default: forbidden)
//     "td_attributes": "<16 hex>",     // exact TD_ATTRIBUTES (quote byte order), or
//     "td_attributes": {"value": "<16 hex>", "mask": "<16 hex>"},  // (TD_ATTRIBUTES & mask) ==
//                                      // (value & mask); value bits outside mask must be 0
//     "require_sept_ve_disable": false,  // TD_ATTRIBUTES bit 28 set        (default: not required)
//     "require_low_s": false,          // quote and QE report signatures s <= n/2
//     "mr_td": ["<96 hex>"],           // allow-list of MRTD
//     "rtmr0": "<96 hex>", "rtmr1": ..., "rtmr2": ..., "rtmr3": ...,
//     "mr_config_id": "<96 hex>", "mr_owner": "<96 hex>", "mr_owner_config": "<96 hex>",
//     "report_data": "<128 hex>",
//     "minimum_tee_tcb_svn": "<32 hex>",  // component-wise minimum of TEE_TCB_SVN
//     "accepted_tcb_statuses": ["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
//                               "ConfigurationAndSWHardeningNeeded"],   // (that is the default)
//     "rejected_advisories": ["INTEL-SA-00837"],
//     "allow_missing_crls": false, "allow_missing_qe_identity": false
//   }
// }
#ifndef PV_ATTEST_POLICY_POLICY_H_
#define PV_ATTEST_POLICY_POLICY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attest/common/bytes.h"
#include "attest/common/verification_report.h"

namespace pv::attest::policy {

struct MinimumTcb {
  std::optional<uint8_t> fmc, bl, tee, snp, ucode;
};

struct SnpPolicy {
  bool allow_debug = false;
  bool allow_smt = true;
  bool allow_migration_agent = false;
  std::optional<uint32_t> vmpl;
  std::optional<uint32_t> max_vmpl;
  std::optional<MinimumTcb> minimum_tcb;
  std::optional<MinimumTcb> minimum_launch_tcb;
  std::vector<Bytes> measurements;
  std::optional<Bytes> host_data, report_data, family_id, image_id;
  uint32_t minimum_guest_svn = 0;
  std::vector<Bytes> id_key_digests;
  std::vector<Bytes> author_key_digests;
  uint32_t minimum_report_version = 2;
  bool require_low_s = false;
};

// A byte string compared under a mask: (seen & mask) == value.
struct MaskedBytes {
  Bytes value;
  Bytes mask;  // all 0xff for the exact form
};

struct TdxPolicy {
  bool allow_debug = false;
  std::optional<MaskedBytes> td_attributes;
  bool require_sept_ve_disable = false;
  bool require_low_s = false;
  std::vector<Bytes> mr_td;
  std::array<std::optional<Bytes>, 4> rtmr;
  std::optional<Bytes> mr_config_id, mr_owner, mr_owner_config, report_data;
  std::optional<Bytes> minimum_tee_tcb_svn;
  std::vector<std::string> accepted_tcb_statuses = {
      "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded"};
  std::vector<std::string> rejected_advisories;
  bool allow_missing_crls = false;
  bool allow_missing_qe_identity = false;
};

struct Policy {
  SnpPolicy snp;
  TdxPolicy tdx;
};

// The policy used when none is given: the defaults above (debug forbidden in both TEEs).
Policy DefaultPolicy();
absl::StatusOr<Policy> ParsePolicyJson(absl::string_view json_text);
absl::StatusOr<Policy> LoadPolicyFile(const std::string& path);

// The outcome of a policy evaluation: "accept", or "reject:<first reason token>" with one
// human-readable line per violated requirement (seen and expected values).
struct PolicyDecision {
  std::string verdict = "accept";
  std::vector<std::string> reasons;
  // What the policy left unconstrained that a reader may assume it checked (for example any
  // VMPL accepted); printed as notes, never a reason to reject.
  std::vector<std::string> notes;

  void Reject(absl::string_view token, absl::string_view detail);
};

// Records the decision in the report: `policy`, the reasons (prefixed "policy: ") and notes.
void ApplyDecision(const PolicyDecision& decision, VerificationReport* report);

}  // namespace pv::attest::policy

#endif  // PV_ATTEST_POLICY_POLICY_H_
