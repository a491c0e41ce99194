// `verify snp|tdx --hcl-report FILE`: an Azure HCL report (attest/hcl/hcl_report.h) verified
// as the hardware evidence inside it, plus the HCL-specific checks:
//   runtime_claims_binding  "ok" | "fail:hash-mismatch" | "fail:nonzero-padding": REPORT_DATA
//                           of the inner report = hash(runtime claims JSON) || zeros
//   hcl_length              the `length` rule (attest/common/evidence_length.h) applied to the
//                           bytes after header.report_size (the NV index's zero padding)
// SEV-SNP: the inner report goes through the usual SNP verification with the given VCEK/VLEK
// and chain (every SNP check and the policy apply). So the claims are as authentic as the
// signed report.
// TDX: the inner report is a TDREPORT, whose MAC only the CPU that made it can check. What is
// checked off-platform:
//   tdreport_hashes         TEE_TCB_INFO_HASH / TEE_INFO_HASH are the SHA-384 of TEE_TCB_INFO /
//                           TDINFO, REPORTTYPE is TDX (internal consistency only, not authenticity)
//   tdreport_vs_quote       with a TD quote (--quote ... collateral, verified as usual, policy
//                           applied to it): the quote's body equals the TDREPORT field for field
//                           (TEE_TCB_SVN, MRSEAM, MRSIGNERSEAM, SEAM_ATTRIBUTES, TD_ATTRIBUTES,
//                           XFAM, MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0-3,
//                           REPORT_DATA), which makes the TDREPORT, and so the claims, as
//                           authentic as the quote. Without a quote it reads
//                           "fail:no-quote ..." and the evidence is rejected (the binding and
//                           the claims are still reported).
#ifndef PV_ATTEST_CLI_HCL_VERIFY_H_
#define PV_ATTEST_CLI_HCL_VERIFY_H_

#include <string>

#include "absl/status/statusor.h"
#include "attest/cli/commands.h"
#include "attest/cli/tdx_bridge.h"

namespace pv::attest::cli {

// `files.report` is ignored (the report comes from `hcl_path`); the certificates are as for
// `verify snp`.
absl::StatusOr<VerificationReport> VerifyHclSnp(const std::string& hcl_path, const SnpFiles& files,
                                                UnixTime now, const policy::SnpPolicy& policy);

// `quote` may be null (TDREPORT only). The TDX policy is applied to the quote when there is one.
absl::StatusOr<VerificationReport> VerifyHclTdx(const std::string& hcl_path, const TdxFiles* quote,
                                                bool strict_length, UnixTime now,
                                                const policy::TdxPolicy& policy);

}  // namespace pv::attest::cli

#endif  // PV_ATTEST_CLI_HCL_VERIFY_H_
