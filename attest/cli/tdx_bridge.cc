#include "attest/cli/tdx_bridge.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"

#if PV_HAVE_TDX_VERIFIER
#include "absl/time/time.h"
#include "attest/tdx/tdx_verifier.h"
#endif

namespace pv::attest::cli {

#if PV_HAVE_TDX_VERIFIER

namespace {

absl::Status ReadInto(const std::string& path, std::string* out) {
  if (path.empty()) return absl::OkStatus();
  auto data = ReadFileBytes(path);
  if (!data.ok()) return data.status();
  out->assign(data->begin(), data->end());
  return absl::OkStatus();
}

}  // namespace

bool TdxVerifierAvailable() {
  return true;
}

absl::StatusOr<VerificationReport> VerifyTdxFiles(const TdxFiles& files, UnixTime now,
                                                  const policy::TdxPolicy& policy) {
  auto quote = tdx::LoadQuoteFile(files.quote);
  if (!quote.ok()) return quote.status();
  tdx::TdxCollateral collateral;
  if (!files.phala_collateral.empty()) {
    auto c = tdx::LoadPhalaCollateralJson(files.phala_collateral);
    if (!c.ok()) return c.status();
    collateral = std::move(*c);
  } else if (!files.collateral_dir.empty()) {
    auto key = tdx::CollateralKeyForQuote(*quote);
    if (!key.ok()) return key.status();
    auto c = tdx::LoadCollateralFromDirectory(files.collateral_dir, *key);
    if (!c.ok()) return c.status();
    collateral = std::move(*c);
  }
  // Individual files override what a bundle or directory supplied.
  const std::pair<const std::string*, std::string*> singles[] = {
      {&files.tcb_info, &collateral.tcb_info_json},
      {&files.tcb_signing_chain, &collateral.tcb_info_issuer_chain_pem},
      {&files.qe_identity, &collateral.qe_identity_json},
      {&files.pck_crl, &collateral.pck_crl},
      {&files.root_crl, &collateral.root_ca_crl},
      {&files.pck_crl_chain, &collateral.pck_crl_issuer_chain_pem},
  };
  for (const auto& [path, dest] : singles) {
    if (path->empty()) continue;
    dest->clear();
    if (absl::Status s = ReadInto(*path, dest); !s.ok()) return s;
  }
  tdx::TdxVerifyOptions options;
  options.now = absl::FromUnixSeconds(now);
  if (!files.root_der.empty()) {
    options.root_certificate = files.root_der;
  } else if (absl::Status s = ReadInto(files.root, &options.root_certificate); !s.ok()) {
    return s;
  }
  options.allow_unpinned_root = files.allow_root;
  options.strict_length = files.strict_length;
  options.allow_missing_crls = policy.allow_missing_crls;
  options.allow_missing_qe_identity = policy.allow_missing_qe_identity;
  options.accepted_tcb_statuses = policy.accepted_tcb_statuses;
  return tdx::VerifyTdxQuote(*quote, collateral, options);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> InspectTdxQuote(
    const std::string& path) {
  auto quote = tdx::LoadQuoteFile(path);
  if (!quote.ok()) return quote.status();
  // Verification with no collateral at the current time decodes every field; the check results
  // are not shown by `inspect`.
  tdx::TdxVerifyOptions options;
  options.now = absl::Now();
  options.allow_unpinned_root = true;
  auto report = tdx::VerifyTdxQuote(*quote, tdx::TdxCollateral{}, options);
  if (!report.ok()) return report.status();
  return report->fields;
}

#else  // !PV_HAVE_TDX_VERIFIER

namespace {
absl::Status Missing() {
  return absl::UnimplementedError(
      "TDX verification is not available: this build has no TDX verifier library "
      "(attest/tdx, target pv_attest_tdx)");
}
}  // namespace

bool TdxVerifierAvailable() {
  return false;
}

absl::StatusOr<VerificationReport> VerifyTdxFiles(const TdxFiles&, UnixTime,
                                                  const policy::TdxPolicy&) {
  return Missing();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> InspectTdxQuote(
    const std::string&) {
  return Missing();
}

#endif  // PV_HAVE_TDX_VERIFIER

}  // namespace pv::attest::cli
