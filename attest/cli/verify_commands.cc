// `pvattest verify snp|tdx`.
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attest/cli/args.h"
#include "attest/cli/commands.h"
#include "attest/cli/tdx_bridge.h"
#include "attest/common/cert_util.h"
#include "attest/common/report_output.h"
#include "attest/common/trust_anchors.h"
#include "attest/policy/snp_policy.h"
#include "attest/policy/tdx_policy.h"
#include "attest/snp/cert_table.h"
#include "attest/snp/kds_cache.h"
#include "attest/snp/snp_verifier.h"

namespace pv::attest::cli {
namespace {

constexpr const char* kVerifyUsage =
    "usage:\n"
    "  pvattest verify snp --report R (--vek V --chain C | --cert-table F | --cache DIR)\n"
    "                  [--crl F] [--trust-dir D] [--allow-root FILE]... [--policy P] [--at TIME]\n"
    "                  [--json]\n"
    "  pvattest verify tdx --quote Q (--root R | --trust-dir D | --allow-root R) [--tcb-info F]\n"
    "                  [--tcb-signing-chain F] [--qe-identity F] [--pck-crl F] [--root-crl F]\n"
    "                  [--pck-crl-chain F] [--collateral-dir D | --phala-collateral F]\n"
    "                  [--policy P] [--at TIME] [--json]\n"
    "TIME is YYYY-MM-DDTHH:MM:SSZ (default: now). Exit: 0 accepted, 1 rejected, 2 unusable.\n";

int Unusable(std::ostream& err, const absl::Status& status) {
  err << "pvattest: " << status.message() << "\n";
  return kExitUnusable;
}

absl::StatusOr<UnixTime> TimeFlag(const Args& args) {
  if (auto at = args.Get("at")) return ParseRfc3339(*at);
  return CurrentUnixTime();
}

absl::StatusOr<policy::Policy> PolicyFlag(const Args& args) {
  if (auto path = args.Get("policy")) return policy::LoadPolicyFile(*path);
  return policy::DefaultPolicy();
}

int Emit(const VerificationReport& report, bool json, std::ostream& out) {
  if (json) {
    out << ReportToJsonText(report) << "\n";
  } else {
    out << ReportToText(report);
  }
  return report.Accepted() ? kExitAccepted : kExitRejected;
}

int VerifySnp(const Args& args, std::ostream& out, std::ostream& err) {
  SnpFiles files;
  files.report = args.Get("report").value_or("");
  files.vek = args.Get("vek").value_or("");
  files.chain = args.Get("chain").value_or("");
  files.cert_table = args.Get("cert-table").value_or("");
  files.cache_dir = args.Get("cache").value_or("");
  files.crl = args.Get("crl").value_or("");
  files.trust_dir = args.Get("trust-dir").value_or("");
  files.allow_roots = args.GetAll("allow-root");
  if (files.report.empty()) {
    err << "pvattest: verify snp needs --report\n" << kVerifyUsage;
    return kExitUnusable;
  }
  if (files.vek.empty() && files.cert_table.empty() && files.cache_dir.empty()) {
    err << "pvattest: verify snp needs --vek and --chain, --cert-table, or --cache\n"
        << kVerifyUsage;
    return kExitUnusable;
  }
  auto now = TimeFlag(args);
  if (!now.ok()) return Unusable(err, now.status());
  auto policy = PolicyFlag(args);
  if (!policy.ok()) return Unusable(err, policy.status());
  auto report = VerifySnpFiles(files, *now, policy->snp);
  if (!report.ok()) return Unusable(err, report.status());
  return Emit(*report, args.Has("json"), out);
}

int VerifyTdx(const Args& args, std::ostream& out, std::ostream& err) {
  TdxFiles files;
  files.quote = args.Get("quote").value_or("");
  files.root = args.Get("root").value_or("");
  if (auto allowed = args.Get("allow-root")) {
    files.root = *allowed;
    files.allow_root = true;
  }
  files.tcb_info = args.Get("tcb-info").value_or("");
  files.tcb_signing_chain = args.Get("tcb-signing-chain").value_or("");
  files.qe_identity = args.Get("qe-identity").value_or("");
  files.pck_crl = args.Get("pck-crl").value_or("");
  files.root_crl = args.Get("root-crl").value_or("");
  files.pck_crl_chain = args.Get("pck-crl-chain").value_or("");
  files.collateral_dir = args.Get("collateral-dir").value_or("");
  files.phala_collateral = args.Get("phala-collateral").value_or("");
  if (files.root.empty()) {
    if (auto dir = args.Get("trust-dir")) {
      // The pinned Intel root from a trust directory (non-pinned certificates there are ignored).
      TrustStore trust;
      if (absl::Status s = trust.LoadDirectory(*dir, nullptr); !s.ok()) return Unusable(err, s);
      for (const auto& root : trust.roots()) {
        if (root.vendor != "intel") continue;
        auto der = CertificateDer(root.cert.get());
        if (!der.ok()) return Unusable(err, der.status());
        files.root_der.assign(der->begin(), der->end());
        files.root = root.source;
      }
      if (files.root_der.empty()) {
        return Unusable(err, absl::NotFoundError(
                                 absl::StrCat(*dir, ": no pinned Intel SGX Root CA certificate")));
      }
    }
  }
  if (files.quote.empty() || files.root.empty()) {
    err << "pvattest: verify tdx needs --quote and --root (or --trust-dir, or --allow-root)\n"
        << kVerifyUsage;
    return kExitUnusable;
  }
  if (!TdxVerifierAvailable()) {
    return Unusable(err, VerifyTdxFiles(files, 0, {}).status());
  }
  auto now = TimeFlag(args);
  if (!now.ok()) return Unusable(err, now.status());
  auto policy = PolicyFlag(args);
  if (!policy.ok()) return Unusable(err, policy.status());
  auto report = VerifyTdxFiles(files, *now, policy->tdx);
  if (!report.ok()) return Unusable(err, report.status());
  policy::ApplyDecision(policy::EvaluateTdxPolicy(policy->tdx, *report), &*report);
  return Emit(*report, args.Has("json"), out);
}

const std::set<std::string> kVerifyValueFlags = {"report",
                                                 "vek",
                                                 "chain",
                                                 "cert-table",
                                                 "cache",
                                                 "trust-dir",
                                                 "allow-root",
                                                 "policy",
                                                 "at",
                                                 "quote",
                                                 "root",
                                                 "tcb-info",
                                                 "tcb-signing-chain",
                                                 "qe-identity",
                                                 "pck-crl",
                                                 "root-crl",
                                                 "pck-crl-chain",
                                                 "collateral-dir",
                                                 "phala-collateral"};

}  // namespace

absl::StatusOr<VerificationReport> VerifySnpFiles(const SnpFiles& files, UnixTime now,
                                                  const policy::SnpPolicy& snp_policy) {
  auto report_bytes = ReadFileBytes(files.report);
  if (!report_bytes.ok()) return report_bytes.status();
  // The report is parsed once up front: the signing-key field picks the certificate-table
  // entry, and CPUID/CHIP_ID/REPORTED_TCB key the collateral cache.
  auto parsed = snp::ParseSnpReport(*report_bytes);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(files.report, ": ", parsed.status().message()));
  }
  Bytes vek, chain, crl;
  if (!files.vek.empty()) {
    auto v = ReadFileBytes(files.vek);
    if (!v.ok()) return v.status();
    vek = std::move(*v);
    if (!files.chain.empty()) {
      auto c = ReadFileBytes(files.chain);
      if (!c.ok()) return c.status();
      chain = std::move(*c);
    }
  } else if (!files.cert_table.empty()) {
    auto blob = ReadFileBytes(files.cert_table);
    if (!blob.ok()) return blob.status();
    auto entries = snp::ParseCertTable(*blob);
    if (!entries.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(files.cert_table, ": ", entries.status().message()));
    }
    auto certs = snp::CertsFromTable(*entries, parsed->signing_key() == snp::SigningKey::kVlek);
    if (!certs.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(files.cert_table, ": ", certs.status().message()));
    }
    vek = std::move(certs->vek);
    chain = std::move(certs->chain);
  } else if (!files.cache_dir.empty()) {
    auto hit = snp::LookupKdsCache(files.cache_dir, *parsed);
    if (!hit.ok()) return hit.status();
    vek = std::move(hit->vek);
    chain = std::move(hit->chain);
    crl = std::move(hit->crl);
  }
  if (!files.crl.empty()) {
    auto c = ReadFileBytes(files.crl);
    if (!c.ok()) return c.status();
    crl = std::move(*c);
  }
  if (!files.chain.empty() && files.vek.empty()) {
    // An explicit chain overrides the one from a table or cache.
    auto c = ReadFileBytes(files.chain);
    if (!c.ok()) return c.status();
    chain = std::move(*c);
  }

  TrustStore trust;
  if (!files.trust_dir.empty()) {
    std::vector<std::string> skipped;
    if (absl::Status s = trust.LoadDirectory(files.trust_dir, &skipped); !s.ok()) return s;
  }
  for (const auto& path : files.allow_roots) {
    if (absl::Status s = trust.LoadAllowedFile(path); !s.ok()) return s;
  }
  snp::SnpVerifier verifier(std::move(trust));
  auto verification = verifier.Verify(*report_bytes, vek, chain, now, crl);
  if (!verification.ok()) return verification.status();
  policy::ApplyDecision(
      policy::EvaluateSnpPolicy(snp_policy, verification->report, verification->layout),
      &verification->result);
  return std::move(verification->result);
}

int RunVerify(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = Args::Parse(argv, kVerifyValueFlags, {"json"});
  if (!args.ok()) {
    err << "pvattest: " << args.status().message() << "\n" << kVerifyUsage;
    return kExitUnusable;
  }
  if (args->positional().size() != 1) {
    err << kVerifyUsage;
    return kExitUnusable;
  }
  const std::string& tee = args->positional()[0];
  if (tee == "snp" || tee == "sev-snp") return VerifySnp(*args, out, err);
  if (tee == "tdx") return VerifyTdx(*args, out, err);
  err << "pvattest: unknown TEE '" << tee << "' (snp or tdx)\n" << kVerifyUsage;
  return kExitUnusable;
}

}  // namespace pv::attest::cli
