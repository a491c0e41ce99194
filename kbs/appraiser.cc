#include "kbs/appraiser.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "attest/common/bytes.h"
#include "attest/common/cert_util.h"
#include "attest/policy/snp_policy.h"
#include "attest/policy/tdx_policy.h"
#include "attest/snp/kds_cache.h"
#include "kbs/evidence.h"

namespace pv::kbs {
namespace {

using attest::ByteSpan;
using attest::VerificationReport;

constexpr attest::UnixTime kCollateralReloadSeconds = 300;
constexpr size_t kMaxCachedChains = 4096;

// Records every check; returns the first one that failed as "verification-failed:<n>=<v>".
std::string RecordChecks(const VerificationReport& report, Appraisal* out) {
  std::string failure;
  for (const auto& c : report.checks) {
    out->checks[c.name] = c.value;
    if (!c.passed && failure.empty()) {
      failure = absl::StrCat("verification-failed: ", c.name, "=", c.value);
    }
  }
  return failure;
}

std::string PolicyFailure(const attest::policy::PolicyDecision& decision) {
  std::string out = absl::StrCat("policy-rejected: ", decision.verdict);
  for (const auto& r : decision.reasons) absl::StrAppend(&out, "; ", r);
  return out;
}

std::string Field(const VerificationReport& report, const std::string& name) {
  for (const auto& [k, v] : report.fields) {
    if (k == name) return v;
  }
  return "";
}

// The part both TEEs share once the evidence verified: REPORT_DATA must be this session's
// runtime-data binding, then the policy decides.
void Conclude(const std::string& report_data_hex, const ReportData& expected,
              const attest::policy::PolicyDecision& decision, Appraisal* out) {
  const std::string expected_hex = attest::HexEncode(expected);
  if (report_data_hex != expected_hex) {
    out->checks["report_data_binding"] = "fail:mismatch";
    out->reason = absl::StrCat("report-data-mismatch: evidence REPORT_DATA ", report_data_hex,
                               " is not this session's runtime-data binding ", expected_hex);
    return;
  }
  out->checks["report_data_binding"] = "match";
  out->checks["policy"] = decision.verdict;
  if (decision.verdict != "accept") {
    out->reason = PolicyFailure(decision);
    return;
  }
  out->accepted = true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Appraiser>> Appraiser::Create(const AppraiserConfig& config) {
  attest::TrustStore trust;
  for (const auto& file : config.snp_allowed_roots) {
    if (absl::Status s = trust.LoadAllowedFile(file); !s.ok()) return s;
  }
  std::string tdx_root;
  if (!config.tdx_allowed_root.empty()) {
    auto bytes = attest::ReadFileBytes(config.tdx_allowed_root, 64 * 1024);
    if (!bytes.ok()) return bytes.status();
    tdx_root.assign(bytes->begin(), bytes->end());
  }
  return std::unique_ptr<Appraiser>(new Appraiser(config, std::move(trust), std::move(tdx_root)));
}

Appraiser::Appraiser(const AppraiserConfig& config, attest::TrustStore trust, std::string tdx_root)
    : config_(config), snp_(std::move(trust)), tdx_root_(std::move(tdx_root)) {}

Appraisal Appraiser::Appraise(TeeKind tee, const nlohmann::json& evidence,
                              const ReportData& expected, const attest::policy::Policy& policy,
                              attest::UnixTime now) {
  switch (tee) {
    case TeeKind::kSnp:
      return AppraiseSnp(evidence, expected, policy.snp, now);
    case TeeKind::kTdx:
      return AppraiseTdx(evidence, expected, policy.tdx, now);
    case TeeKind::kSample:
      return AppraiseSample(evidence, expected);
  }
  return Appraisal{};
}

Appraisal Appraiser::AppraiseSample(const nlohmann::json& evidence, const ReportData& expected) {
  Appraisal out;
  out.unverified_sample = true;
  out.checks["tee"] = "sample: trustee's test TEE, nothing is verified";
  if (!config_.allow_sample_tee) {
    out.reason = "sample-tee-not-allowed: this KBS was not started with --allow-sample-tee";
    return out;
  }
  auto parsed = ParseSampleEvidence(evidence);
  if (!parsed.ok()) {
    out.reason = absl::StrCat("evidence-unusable: ", parsed.status().message());
    return out;
  }
  out.checks["svn"] = parsed->svn;
  // Only the binding is compared (as trustee's sample verifier does); no policy applies, so
  // resources are released to it only by grants that name "sample".
  attest::policy::PolicyDecision no_policy;  // verdict "accept": no claims to appraise
  Conclude(attest::HexEncode(parsed->report_data), expected, no_policy, &out);
  if (out.accepted) out.checks["policy"] = "none (sample TEE)";
  return out;
}

Appraisal Appraiser::AppraiseSnp(const nlohmann::json& evidence, const ReportData& expected,
                                 const attest::policy::SnpPolicy& policy, attest::UnixTime now) {
  Appraisal out;
  auto parsed = ParseSnpEvidence(evidence);
  if (!parsed.ok()) {
    out.reason = absl::StrCat("evidence-unusable: ", parsed.status().message());
    return out;
  }
  attest::Bytes vek = parsed->vek, chain = parsed->chain;
  if (vek.empty() && !config_.snp_kds_cache_dir.empty()) {
    auto report = attest::snp::ParseSnpReport(parsed->report);
    if (report.ok()) {
      auto entry = attest::snp::LookupKdsCache(config_.snp_kds_cache_dir, *report);
      if (entry.ok()) {
        vek = entry->vek;
        chain = entry->chain;
      }
    }
  }
  if (vek.empty()) {
    out.reason = "evidence-unusable: no VCEK/VLEK in cert_chain and none in the KDS cache";
    return out;
  }
  auto verified = snp_.Verify(parsed->report, vek, chain, now);
  if (!verified.ok()) {
    out.reason = absl::StrCat("evidence-unusable: ", verified.status().message());
    return out;
  }
  out.measurement = attest::HexEncode(verified->report.measurement);
  out.non_vendor_root = Field(verified->result, "ROOT_PINNED") == "false";
  if (std::string failure = RecordChecks(verified->result, &out); !failure.empty()) {
    out.reason = std::move(failure);
    return out;
  }
  Conclude(attest::HexEncode(verified->report.report_data), expected,
           attest::policy::EvaluateSnpPolicy(policy, verified->report, verified->layout), &out);
  return out;
}

absl::StatusOr<attest::tdx::TdxCollateral> Appraiser::Collateral(const std::string& quote) {
  if (config_.tdx_collateral_dir.empty()) return attest::tdx::TdxCollateral{};
  // Finding the collateral means decoding the PCK leaf (FMSPC, CA), which costs as much as the
  // quote's signatures. The key is remembered per PCK chain, identified by a hash of the quote
  // from its first PEM certificate on. Collateral selection is not a trust decision: the
  // verifier checks FMSPC/PCEID of the selected TCB info against the PCK certificate, so a
  // wrong choice can only reject.
  const size_t pem = quote.find("-----BEGIN CERTIFICATE-----");
  std::string chain_id;
  if (pem != std::string::npos) {
    const auto digest = attest::Sha256(
        attest::ByteSpan(reinterpret_cast<const uint8_t*>(quote.data()) + pem, quote.size() - pem));
    chain_id.assign(digest.begin(), digest.end());
  }
  attest::tdx::CollateralKey key;
  {
    std::lock_guard<std::mutex> lock(collateral_mu_);
    auto known = chain_keys_.find(chain_id);
    if (!chain_id.empty() && known != chain_keys_.end()) key = known->second;
  }
  if (key.fmspc.empty()) {
    auto parsed = attest::tdx::CollateralKeyForQuote(quote);
    if (!parsed.ok()) return parsed.status();
    key = *parsed;
    std::lock_guard<std::mutex> lock(collateral_mu_);
    if (chain_keys_.size() >= kMaxCachedChains) chain_keys_.clear();
    if (!chain_id.empty()) chain_keys_[chain_id] = key;
  }
  const std::string cache_key = absl::StrCat(key.fmspc, "/", key.ca);
  const attest::UnixTime now = attest::CurrentUnixTime();
  std::lock_guard<std::mutex> lock(collateral_mu_);
  auto it = collateral_.find(cache_key);
  if (it != collateral_.end() && now - it->second.loaded < kCollateralReloadSeconds) {
    return it->second.collateral;
  }
  auto loaded = attest::tdx::LoadCollateralFromDirectory(config_.tdx_collateral_dir, key);
  if (!loaded.ok()) return loaded.status();
  collateral_[cache_key] = CachedCollateral{*loaded, now};
  return loaded;
}

Appraisal Appraiser::AppraiseTdx(const nlohmann::json& evidence, const ReportData& expected,
                                 const attest::policy::TdxPolicy& policy, attest::UnixTime now) {
  Appraisal out;
  auto parsed = ParseTdxEvidence(evidence);
  if (!parsed.ok()) {
    out.reason = absl::StrCat("evidence-unusable: ", parsed.status().message());
    return out;
  }
  const std::string quote(parsed->quote.begin(), parsed->quote.end());
  auto collateral = Collateral(quote);
  if (!collateral.ok()) {
    out.reason = absl::StrCat("evidence-unusable: collateral: ", collateral.status().message());
    return out;
  }
  attest::tdx::TdxVerifyOptions options;
  options.now = absl::FromUnixSeconds(now);
  options.root_certificate = tdx_root_;
  options.allow_unpinned_root = !tdx_root_.empty();
  options.allow_missing_crls = policy.allow_missing_crls;
  options.allow_missing_qe_identity = policy.allow_missing_qe_identity;
  options.accepted_tcb_statuses = policy.accepted_tcb_statuses;
  auto verified = tdx_.Verify(quote, *collateral, options);
  if (!verified.ok()) {
    out.reason = absl::StrCat("evidence-unusable: ", verified.status().message());
    return out;
  }
  out.measurement = Field(*verified, "MRTD");
  out.non_vendor_root = Field(*verified, "ROOT_PINNED") == "false";
  if (std::string failure = RecordChecks(*verified, &out); !failure.empty()) {
    out.reason = std::move(failure);
    return out;
  }
  Conclude(Field(*verified, "REPORT_DATA"), expected,
           attest::policy::EvaluateTdxPolicy(policy, *verified), &out);
  return out;
}

}  // namespace pv::kbs
