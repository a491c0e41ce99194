// `pvattest verify snp|tdx`.
#include <iostream>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attest/cli/args.h"
#include "attest/cli/commands.h"
#include "attest/cli/hcl_verify.h"
#include "attest/cli/json_errors.h"
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
    "  pvattest verify snp (--report R | --hcl-report H)\n"
    "                  (--vek V --chain C | --cert-table F | --cache DIR)\n"
    "                  [--crl F] [--trust-dir D] [--allow-root FILE]... [common options]\n"
    "  pvattest verify tdx --quote Q (--root R | --trust-dir D | --allow-root R) [--tcb-info F]\n"
    "                  [--tcb-signing-chain F] [--qe-identity F] [--pck-crl F] [--root-crl F]\n"
    "                  [--pck-crl-chain F] [--collateral-dir D | --phala-collateral F]\n"
    "                  [--hcl-report H] [common options]\n"
    "  pvattest verify tdx --hcl-report H     (TDREPORT only: binding checked, not authentic)\n"
    "common options:\n"
    "  --policy P                 appraisal policy JSON (README \"Policy\")\n"
    "  --report-data HEX          REPORT_DATA must equal HEX, zero-padded to 64 bytes\n"
    "  --report-data-sha384-of F  REPORT_DATA must be SHA-384(F), zero-padded to 64 bytes\n"
    "  --report-data-sha512-of F  REPORT_DATA must be SHA-512(F)\n"
    "  --strict-length            no byte may follow the evidence (README \"Trailing bytes\")\n"
    "  --at TIME                  YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
    "  --json                     one JSON object on stdout, also for errors (exit 2)\n"
    "  --help\n"
    "--hcl-report: an Azure HCL report; its SNP report / TDREPORT is verified, the runtime\n"
    "claims' hash must be in REPORT_DATA, and the claims (vTPM AK among them) are printed.\n"
    "Exit: 0 accepted, 1 rejected, 2 unusable.\n";

absl::StatusOr<UnixTime> TimeFlag(const Args& args) {
  if (auto at = args.Get("at")) return ParseRfc3339(*at);
  return CurrentUnixTime();
}

// --report-data HEX | --report-data-sha384-of F | --report-data-sha512-of F, as the 64 bytes
// REPORT_DATA must hold; nullopt when none is given.
absl::StatusOr<std::optional<Bytes>> ReportDataFlag(const Args& args) {
  const auto hex = args.Get("report-data");
  const auto sha384 = args.Get("report-data-sha384-of");
  const auto sha512 = args.Get("report-data-sha512-of");
  if ((hex ? 1 : 0) + (sha384 ? 1 : 0) + (sha512 ? 1 : 0) > 1) {
    return absl::InvalidArgumentError(
        "give at most one of --report-data, --report-data-sha384-of, --report-data-sha512-of");
  }
  Bytes value;
  if (hex) {
    std::string digits = *hex;
    if (digits.rfind("0x", 0) == 0) digits = digits.substr(2);
    auto bytes = HexDecode(digits);
    if (!bytes.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--report-data: ", bytes.status().message()));
    }
    if (bytes->size() > 64) {
      return absl::InvalidArgumentError(
          absl::StrCat("--report-data: ", bytes->size(), " bytes, REPORT_DATA holds 64"));
    }
    value = std::move(*bytes);
  } else if (sha384 || sha512) {
    const std::string& path = sha384 ? *sha384 : *sha512;
    auto data = ReadFileBytes(path);
    if (!data.ok()) return data.status();
    auto digest = DigestOf(sha384 ? "SHA384" : "SHA512", *data);
    if (!digest.ok()) return digest.status();
    value = std::move(*digest);
  } else {
    return std::optional<Bytes>();
  }
  value.resize(64, 0);
  return std::optional<Bytes>(std::move(value));
}

// The policy file (or the defaults), with the REPORT_DATA flags applied on top.
absl::StatusOr<policy::Policy> PolicyFlag(const Args& args) {
  absl::StatusOr<policy::Policy> p =
      args.Get("policy") ? policy::LoadPolicyFile(*args.Get("policy")) : policy::DefaultPolicy();
  if (!p.ok()) return p.status();
  auto report_data = ReportDataFlag(args);
  if (!report_data.ok()) return report_data.status();
  if (*report_data) {
    p->snp.report_data = **report_data;
    p->tdx.report_data = **report_data;
  }
  return p;
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
  const bool json = args.Has("json");
  SnpFiles files;
  files.report = args.Get("report").value_or("");
  files.vek = args.Get("vek").value_or("");
  files.chain = args.Get("chain").value_or("");
  files.cert_table = args.Get("cert-table").value_or("");
  files.cache_dir = args.Get("cache").value_or("");
  files.crl = args.Get("crl").value_or("");
  files.trust_dir = args.Get("trust-dir").value_or("");
  files.allow_roots = args.GetAll("allow-root");
  files.strict_length = args.Has("strict-length");
  const std::string hcl = args.Get("hcl-report").value_or("");
  if (files.report.empty() == hcl.empty()) {
    return ReportUnusable("verify snp needs --report or --hcl-report (one of them)", json, out, err,
                          kVerifyUsage);
  }
  if (files.vek.empty() && files.cert_table.empty() && files.cache_dir.empty()) {
    return ReportUnusable("verify snp needs --vek and --chain, --cert-table, or --cache", json, out,
                          err, kVerifyUsage);
  }
  auto now = TimeFlag(args);
  if (!now.ok()) return ReportUnusable(now.status().message(), json, out, err);
  auto policy = PolicyFlag(args);
  if (!policy.ok()) return ReportUnusable(policy.status().message(), json, out, err);
  auto report = hcl.empty() ? VerifySnpFiles(files, *now, policy->snp)
                            : VerifyHclSnp(hcl, files, *now, policy->snp);
  if (!report.ok()) return ReportUnusable(report.status().message(), json, out, err);
  return Emit(*report, json, out);
}

int VerifyTdx(const Args& args, std::ostream& out, std::ostream& err) {
  const bool json = args.Has("json");
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
  files.strict_length = args.Has("strict-length");
  const std::string hcl = args.Get("hcl-report").value_or("");
  if (files.root.empty()) {
    if (auto dir = args.Get("trust-dir")) {
      // The pinned Intel root from a trust directory (non-pinned certificates there are ignored).
      TrustStore trust;
      if (absl::Status s = trust.LoadDirectory(*dir, nullptr); !s.ok()) {
        return ReportUnusable(s.message(), json, out, err);
      }
      for (const auto& root : trust.roots()) {
        if (root.vendor != "intel") continue;
        auto der = CertificateDer(root.cert.get());
        if (!der.ok()) return ReportUnusable(der.status().message(), json, out, err);
        files.root_der.assign(der->begin(), der->end());
        files.root = root.source;
      }
      if (files.root_der.empty()) {
        return ReportUnusable(absl::StrCat(*dir, ": no pinned Intel SGX Root CA certificate"), json,
                              out, err);
      }
    }
  }
  const bool tdreport_only = !hcl.empty() && files.quote.empty();
  if (!tdreport_only && (files.quote.empty() || files.root.empty())) {
    return ReportUnusable(
        "verify tdx needs --quote and --root (or --trust-dir, or --allow-root), or --hcl-report",
        json, out, err, kVerifyUsage);
  }
  if (!tdreport_only && !TdxVerifierAvailable()) {
    return ReportUnusable(VerifyTdxFiles(files, 0, {}).status().message(), json, out, err);
  }
  auto now = TimeFlag(args);
  if (!now.ok()) return ReportUnusable(now.status().message(), json, out, err);
  auto policy = PolicyFlag(args);
  if (!policy.ok()) return ReportUnusable(policy.status().message(), json, out, err);
  absl::StatusOr<VerificationReport> report =
      hcl.empty() ? VerifyTdxFiles(files, *now, policy->tdx)
                  : VerifyHclTdx(hcl, tdreport_only ? nullptr : &files, files.strict_length, *now,
                                 policy->tdx);
  if (!report.ok()) return ReportUnusable(report.status().message(), json, out, err);
  if (hcl.empty()) {
    policy::ApplyDecision(policy::EvaluateTdxPolicy(policy->tdx, *report), &*report);
  }
  return Emit(*report, json, out);
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
                                                 "phala-collateral",
                                                 "hcl-report",
                                                 "report-data",
                                                 "report-data-sha384-of",
                                                 "report-data-sha512-of"};

}  // namespace

absl::StatusOr<VerificationReport> VerifySnpFiles(const SnpFiles& files, UnixTime now,
                                                  const policy::SnpPolicy& snp_policy) {
  auto report_bytes = ReadFileBytes(files.report);
  if (!report_bytes.ok()) return report_bytes.status();
  return VerifySnpEvidence(*report_bytes, files, now, snp_policy);
}

absl::StatusOr<VerificationReport> VerifySnpEvidence(ByteSpan report_bytes, const SnpFiles& files,
                                                     UnixTime now,
                                                     const policy::SnpPolicy& snp_policy) {
  // The report is parsed once up front: the signing-key field picks the certificate-table
  // entry, and CPUID/CHIP_ID/REPORTED_TCB key the collateral cache.
  auto parsed = snp::ParseSnpReport(snp::SnpReportPrefix(report_bytes));
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
  verifier.set_strict_length(files.strict_length);
  auto verification = verifier.Verify(report_bytes, vek, chain, now, crl);
  if (!verification.ok()) return verification.status();
  policy::ApplyDecision(
      policy::EvaluateSnpPolicy(snp_policy, verification->report, verification->layout),
      &verification->result);
  return std::move(verification->result);
}

int RunVerify(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  const bool json = WantsJson(argv);
  auto args = Args::Parse(argv, kVerifyValueFlags, {"json", "strict-length"});
  if (!args.ok()) return ReportUnusable(args.status().message(), json, out, err, kVerifyUsage);
  if (PrintHelpIfRequested(*args, kVerifyUsage, out)) return kExitAccepted;
  if (args->positional().size() != 1) {
    return ReportUnusable("verify needs exactly one TEE: snp or tdx", json, out, err, kVerifyUsage);
  }
  const std::string& tee = args->positional()[0];
  if (tee == "snp" || tee == "sev-snp") return VerifySnp(*args, out, err);
  if (tee == "tdx") return VerifyTdx(*args, out, err);
  return ReportUnusable(absl::StrCat("unknown TEE '", tee, "' (snp or tdx)"), json, out, err,
                        kVerifyUsage);
}

}  // namespace pv::attest::cli
