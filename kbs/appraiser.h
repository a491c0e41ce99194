// Verification and appraisal of one attestation: the evidence is verified with the project's
// attest/ libraries (SnpVerifier, TdxVerifier), its REPORT_DATA is compared with the session's
// runtime-data binding, and the report is appraised against the policy's reference values
// (attest/policy: measurements / MRTD, RTMRs, host_data, minimum TCB, debug, VMPL, TD
// attributes, ...). The first failure decides the reason.
//
// Trust roots are explicit. SNP: AMD's ARKs are pinned in attest/common; a chain ending in any
// other root fails unless that root's file was configured (`--snp-allow-root`, for a simulated
// secure processor or a test PKI). TDX: Intel's SGX root is pinned; `--tdx-allow-root` admits
// one other root (same purpose). A configured non-vendor root is reported in every appraisal
// ("root": "configured-non-vendor-root") and logged at startup.
#ifndef PV_KBS_APPRAISER_H_
#define PV_KBS_APPRAISER_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "attest/common/time_util.h"
#include "attest/common/trust_anchors.h"
#include "attest/policy/policy.h"
#include "attest/snp/snp_verifier.h"
#include "attest/tdx/tdx_verifier.h"
#include "kbs/protocol.h"
#include "kbs/runtime_data.h"

namespace pv::kbs {

struct AppraiserConfig {
  std::vector<std::string> snp_allowed_roots;  // certificate files admitted without a pin
  std::string tdx_allowed_root;                // one root certificate file, or empty
  std::string snp_kds_cache_dir;   // VEK/chain when the evidence carries none (kds_cache.h)
  std::string tdx_collateral_dir;  // Intel-PCS-keyed collateral (tdx_verifier.h); or empty
  // trustee's sample TEE (`--allow-sample-tee`): evidence that only repeats the binding.
  bool allow_sample_tee = false;
};

struct Appraisal {
  bool accepted = false;
  std::string reason;                                // empty when accepted
  nlohmann::json checks = nlohmann::json::object();  // check name -> value
  std::string measurement;                           // SNP MEASUREMENT / TDX MRTD, hex
  bool non_vendor_root = false;
  bool unverified_sample = false;  // tee "sample": accepted without any verification
};

class Appraiser {
 public:
  static absl::StatusOr<std::unique_ptr<Appraiser>> Create(const AppraiserConfig& config);

  Appraisal Appraise(TeeKind tee, const nlohmann::json& evidence, const ReportData& expected,
                     const attest::policy::Policy& policy, attest::UnixTime now);

 private:
  Appraiser(const AppraiserConfig& config, attest::TrustStore trust, std::string tdx_root);
  Appraisal AppraiseSnp(const nlohmann::json& evidence, const ReportData& expected,
                        const attest::policy::SnpPolicy& policy, attest::UnixTime now);
  Appraisal AppraiseSample(const nlohmann::json& evidence, const ReportData& expected);
  Appraisal AppraiseTdx(const nlohmann::json& evidence, const ReportData& expected,
                        const attest::policy::TdxPolicy& policy, attest::UnixTime now);
  absl::StatusOr<attest::tdx::TdxCollateral> Collateral(const std::string& quote);

  AppraiserConfig config_;
  attest::snp::SnpVerifier snp_;
  attest::tdx::TdxVerifier tdx_;
  std::string tdx_root_;  // certificate bytes of the configured TDX root, or empty

  struct CachedCollateral {
    attest::tdx::TdxCollateral collateral;
    attest::UnixTime loaded = 0;
  };
  std::mutex collateral_mu_;
  std::map<std::string, CachedCollateral> collateral_;            // by "fmspc/ca"
  std::map<std::string, attest::tdx::CollateralKey> chain_keys_;  // by PCK chain hash
};

}  // namespace pv::kbs

#endif  // PV_KBS_APPRAISER_H_
