// The AMD certificate chain behind an SNP report: VEK (VCEK or VLEK) <- ASK (or ASVK) <- ARK.
//
// AMD's VCEKs have serial 0 and no Authority Key Identifier, so strict X.509 path validation
// is not used. Instead each link is checked explicitly: the child's issuer DN equals the parent's
// subject DN, the signature is RSASSA-PSS SHA-384/MGF1-SHA-384/salt 48 and verifies with the
// parent's key, the root is self-signed and admitted by the TrustStore (pinned or explicitly
// allowed), and every certificate is valid at the verification time. The product line comes from
// the pinned root that verified, never from certificate names.
//
// The time-independent part (ChainLinks) is cacheable; EvaluateChainAt re-checks validity
// windows for each call, so a cached chain never outlives a certificate.
#ifndef PV_ATTEST_SNP_SNP_CHAIN_H_
#define PV_ATTEST_SNP_SNP_CHAIN_H_

#include <string>

#include <vector>
#include "absl/status/status.h"

#include "attest/common/openssl_ptr.h"
#include "attest/common/time_util.h"
#include "attest/common/trust_anchors.h"
#include "attest/snp/snp_tcb.h"

namespace pv::attest::snp {

enum class VekKind { kVcek, kVlek };

struct ValidityWindow {
  std::string subject;
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  bool readable = false;
};

struct ChainLinks {
  // Empty when every link verified; otherwise the check value ("fail:<reason>") and detail.
  std::string failure;
  std::string failure_detail;
  Product product = Product::kUnknown;  // from the root's pin; kUnknown for an allowed test root
  std::string root_description;         // "ARK-Milan (pinned)" or "allowed root <subject>"
  bool root_pinned = false;
  // Validity windows of VEK, intermediate and root (as far as the chain was built).
  std::vector<ValidityWindow> windows;
  // The intermediate and root that verified (copies; null when the chain did not verify that
  // far), for revocation checks.
  X509Ptr intermediate;
  X509Ptr root;
};

// One AMD link: `child`'s issuer DN is `parent`'s subject DN, its signature algorithm is
// RSASSA-PSS SHA-384/MGF1-SHA-384/salt 48, `parent` has an RSA key and the signature verifies.
// Unauthenticated for a signature that does not verify, InvalidArgument for the rest.
absl::Status VerifyAmdLink(const X509* child, const X509* parent);

// Verifies the signatures and names of VEK <- intermediate <- root. `chain` holds the
// intermediate and optionally the root; roots may also come from `trust`.
ChainLinks VerifyChainLinks(const X509* vek, const std::vector<X509Ptr>& chain,
                            const TrustStore& trust);

struct ChainVerdict {
  std::string value;   // "ok" or "fail:<reason>"
  std::string detail;  // empty for ok
};

// The chain verdict at `now`: a link failure, else the first certificate outside its validity
// ("fail:vcek-expired", "fail:asvk-not-yet-valid", ...; roles named after `kind`), else ok.
ChainVerdict EvaluateChainAt(const ChainLinks& links, VekKind kind, UnixTime now);

}  // namespace pv::attest::snp

#endif  // PV_ATTEST_SNP_SNP_CHAIN_H_
