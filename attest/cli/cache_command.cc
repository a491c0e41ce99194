// `pvattest cache-add snp`: verifies a VEK and chain for a report, then stores them (and an
// optional CRL) under AMD KDS keys in a collateral cache directory (attest/snp/kds_cache.h).
#include "absl/status/status.h"
#include "attest/cli/args.h"
#include "attest/cli/commands.h"
#include "attest/common/cert_util.h"
#include "attest/common/trust_anchors.h"
#include "attest/snp/kds_cache.h"
#include "attest/snp/snp_verifier.h"

namespace pv::attest::cli {
namespace {

int Unusable(std::ostream& err, const absl::Status& status) {
  err << "pvattest: " << status.message() << "\n";
  return kExitUnusable;
}

absl::StatusOr<UnixTime> TimeFlag(const Args& args) {
  if (auto at = args.Get("at")) return ParseRfc3339(*at);
  return CurrentUnixTime();
}

}  // namespace

int RunCacheAdd(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  static constexpr const char* kUsage =
      "usage: pvattest cache-add snp --cache DIR --report R --vek V --chain C [--crl F]\n"
      "                            [--at TIME]\n"
      "Verifies the chain for R first and stores V and C under KDS keys in DIR.\n";
  auto args = Args::Parse(argv, {"cache", "report", "vek", "chain", "crl", "at"}, {});
  if (args.ok() && PrintHelpIfRequested(*args, kUsage, out)) return kExitAccepted;
  if (!args.ok() || args->positional().size() != 1 || args->positional()[0] != "snp" ||
      !args->Get("cache") || !args->Get("report") || !args->Get("vek") || !args->Get("chain")) {
    err << kUsage;
    return kExitUnusable;
  }
  auto now = TimeFlag(*args);
  if (!now.ok()) return Unusable(err, now.status());
  auto report = ReadFileBytes(*args->Get("report"));
  auto vek = ReadFileBytes(*args->Get("vek"));
  auto chain = ReadFileBytes(*args->Get("chain"));
  for (const auto* s : {&report.status(), &vek.status(), &chain.status()}) {
    if (!s->ok()) return Unusable(err, *s);
  }
  Bytes crl;
  if (auto crl_path = args->Get("crl")) {
    auto c = ReadFileBytes(*crl_path);
    if (!c.ok()) return Unusable(err, c.status());
    crl = std::move(*c);
  }
  snp::SnpVerifier verifier{TrustStore()};
  auto v = verifier.Verify(*report, *vek, *chain, *now, crl);
  if (!v.ok()) return Unusable(err, v.status());
  const CheckOutcome* chain_check = v->result.Find("chain");
  const CheckOutcome* crl_check = v->result.Find("crl");
  if (crl_check != nullptr && !crl_check->passed) {
    err << "pvattest: not caching: crl check is " << crl_check->value << "\n";
    return kExitRejected;
  }
  if (chain_check == nullptr || !chain_check->passed) {
    err << "pvattest: not caching: chain check is "
        << (chain_check ? chain_check->value : "missing") << "\n";
    for (const auto& r : v->result.reasons) err << "  " << r << "\n";
    return kExitRejected;
  }
  // The cache holds the VEK as DER whatever form it was given in.
  auto vek_cert = ParseSingleCertificate(*vek, "VEK certificate");
  if (!vek_cert.ok()) return Unusable(err, vek_cert.status());
  auto vek_der = CertificateDer(vek_cert->get());
  if (!vek_der.ok()) return Unusable(err, vek_der.status());
  if (absl::Status s =
          snp::StoreInKdsCache(*args->Get("cache"), v->report, v->product, *vek_der, *chain, crl);
      !s.ok()) {
    return Unusable(err, s);
  }
  out << "stored " << snp::KdsVekPath(*args->Get("cache"), v->product, v->report) << "\n"
      << "stored "
      << snp::KdsChainPath(*args->Get("cache"), v->product,
                           v->report.signing_key() == snp::SigningKey::kVlek)
      << "\n";
  return kExitAccepted;
}

}  // namespace pv::attest::cli
