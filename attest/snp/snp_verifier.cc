#include "attest/snp/snp_verifier.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "attest/common/cert_util.h"
#include "attest/common/signature_util.h"
#include "attest/snp/amd_crl.h"

namespace pv::attest::snp {

struct SnpVerifier::CachedChain {
  X509Ptr vek;
  std::vector<X509Ptr> chain;
  VekExtensions ext;
  ChainLinks links;
  // Report fields that depend only on the certificates, rendered once.
  std::vector<std::pair<std::string, std::string>> vek_fields;
};

namespace {

constexpr size_t kMaxCachedChains = 256;

// SHA-384 fetched from the provider once: an implicit fetch on every verification costs a
// provider-store lookup under a lock.
const EVP_MD* Sha384() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA384", nullptr);
    return fetched != nullptr ? fetched : EVP_sha384();
  }();
  return md;
}

void AddCheck(VerificationReport* out, std::string name, std::string value,
              const std::string& detail) {
  const bool passed =
      value == "ok" || value == "match" || value == "n/a" || value == "ok,not-revoked";
  if (!passed) {
    out->reasons.push_back(absl::StrCat(name, ": ", value, detail.empty() ? "" : " - ", detail));
  }
  out->checks.push_back({std::move(name), std::move(value), passed});
}

// The report-signature check: ECDSA P-384 / SHA-384 over 0x000..0x29F with the VEK key.
std::pair<std::string, std::string> CheckSignature(const SnpReport& report, const X509* vek) {
  if (report.signing_key() == SigningKey::kNone) {
    return {"fail:unsigned-report", "SIGNER_INFO.SIGNING_KEY is 7 (no key signed this report)"};
  }
  EVP_PKEY* key = X509_get0_pubkey(vek);
  if (!IsEcKeyOnCurve(key, "secp384r1")) {
    return {"fail:vek-key-not-p384", "the VEK key is not ECDSA P-384"};
  }
  auto der = EcdsaLittleEndianSignatureToDer(report.signature_r, report.signature_s);
  if (!der.ok()) return {"fail:bad-signature", std::string(der.status().message())};
  if (!VerifyEcdsaDer(key, Sha384(), report.signed_bytes, *der)) {
    return {"fail:bad-signature",
            absl::StrCat("ECDSA P-384 signature over bytes 0x000..0x29F does not verify with the "
                         "key of '",
                         SubjectName(vek), "'")};
  }
  return {"ok", ""};
}

std::pair<std::string, std::string> CheckVekKind(VekKind kind, const VekExtensions& ext) {
  if (kind == VekKind::kVcek && (!ext.hwid || ext.csp_id)) {
    return {"fail:vek-kind-mismatch",
            "SIGNING_KEY is VCEK but the certificate is not a VCEK (needs hwID, no cspId)"};
  }
  if (kind == VekKind::kVlek && (!ext.csp_id || ext.hwid)) {
    return {"fail:vek-kind-mismatch",
            "SIGNING_KEY is VLEK but the certificate is not a VLEK (needs cspId, no hwID)"};
  }
  return {"ok", ""};
}

std::pair<std::string, std::string> CheckTcb(const SnpReport& report, TcbLayout layout,
                                             const VekExtensions& ext) {
  const TcbParts reported = DecodeTcb(report.reported_tcb, layout);
  std::string missing;
  if (!ext.bl_spl) absl::StrAppend(&missing, " blSPL");
  if (!ext.tee_spl) absl::StrAppend(&missing, " teeSPL");
  if (!ext.snp_spl) absl::StrAppend(&missing, " snpSPL");
  if (!ext.ucode_spl) absl::StrAppend(&missing, " ucodeSPL");
  if (layout == TcbLayout::kTurin && !ext.fmc_spl) absl::StrAppend(&missing, " fmcSPL");
  if (!missing.empty()) {
    return {"fail:missing-extension", absl::StrCat("VEK lacks TCB extension(s):", missing,
                                                   " (layout ", LayoutName(layout), ")")};
  }
  std::string diff;
  const auto cmp = [&diff](const char* name, uint8_t seen, uint8_t cert) {
    if (seen != cert) {
      absl::StrAppend(&diff, diff.empty() ? "" : "; ", name, " REPORTED_TCB=", seen,
                      " certificate=", cert);
    }
  };
  if (layout == TcbLayout::kTurin) cmp("fmc", reported.fmc.value_or(0), *ext.fmc_spl);
  cmp("bl", reported.bl, *ext.bl_spl);
  cmp("tee", reported.tee, *ext.tee_spl);
  cmp("snp", reported.snp, *ext.snp_spl);
  cmp("ucode", reported.ucode, *ext.ucode_spl);
  if (!diff.empty()) {
    return {"fail:mismatch", absl::StrCat(diff, " (layout ", LayoutName(layout), ")")};
  }
  return {"match", ""};
}

std::pair<std::string, std::string> CheckChipId(const SnpReport& report, VekKind kind,
                                                const VekExtensions& ext) {
  if (kind == VekKind::kVlek) return {"n/a", ""};
  if (report.mask_chip_key() || AllZero(report.chip_id)) return {"n/a", ""};
  if (!ext.hwid) return {"fail:missing-hwid", "the VCEK has no hwID extension"};
  const Bytes& hwid = *ext.hwid;
  const ByteSpan chip(report.chip_id);
  const bool equal =
      hwid.size() == chip.size()
          ? std::equal(hwid.begin(), hwid.end(), chip.begin())
          : (hwid.size() == 8 && std::equal(hwid.begin(), hwid.end(), chip.begin()) &&
             AllZero(chip.subspan(8)));
  if (!equal) {
    return {"fail:mismatch",
            absl::StrCat("CHIP_ID ", HexEncode(chip), " != VCEK hwID ", HexEncode(hwid))};
  }
  return {"match", ""};
}

Product ProductFromVekName(const VekExtensions& ext) {
  if (!ext.product_name) return Product::kUnknown;
  const std::string& name = *ext.product_name;
  return ProductFromName(name.substr(0, name.find('-')));
}

// The product line can be read from up to three places: the pinned root the chain verified to
// (authoritative), the report's CPUID (v3+), and the VEK's productName extension (its family
// part; KDS has emitted wrong steppings, so "-B0" etc. are ignored). Every known one must agree.
std::pair<std::string, std::string> CheckProductConsistency(Product root, Product cpuid,
                                                            const VekExtensions& ext) {
  const Product vek = ProductFromVekName(ext);
  const std::pair<const char*, Product> sources[] = {
      {"verified root", root}, {"report CPUID", cpuid}, {"VEK productName", vek}};
  for (const auto& [name_a, a] : sources) {
    for (const auto& [name_b, b] : sources) {
      if (a != Product::kUnknown && b != Product::kUnknown && a != b) {
        return {"fail:product-mismatch", absl::StrCat(name_a, " says ", ProductName(a), ", ",
                                                      name_b, " says ", ProductName(b))};
      }
    }
  }
  return {"ok", ""};
}

}  // namespace

SnpVerifier::SnpVerifier(TrustStore trust) : trust_(std::move(trust)) {}
SnpVerifier::~SnpVerifier() = default;

void SnpVerifier::ClearCache() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
}

size_t SnpVerifier::CacheSize() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size();
}

absl::StatusOr<std::shared_ptr<const SnpVerifier::CachedChain>> SnpVerifier::LoadChain(
    ByteSpan vek, ByteSpan chain) {
  // Keyed by the exact input bytes (length-prefixed so the split is unambiguous): hashing a
  // few KiB into the map is cheaper than a SHA-256 and cannot collide.
  std::string key = absl::StrCat(vek.size(), ":");
  key.append(reinterpret_cast<const char*>(vek.data()), vek.size());
  key.append(reinterpret_cast<const char*>(chain.data()), chain.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
  }
  auto entry = std::make_shared<CachedChain>();
  auto vek_cert = ParseSingleCertificate(vek, "VEK certificate");
  if (!vek_cert.ok()) return vek_cert.status();
  entry->vek = std::move(*vek_cert);
  if (!chain.empty()) {
    auto certs = ParseCertificates(chain, "certificate chain");
    if (!certs.ok()) return certs.status();
    entry->chain = std::move(*certs);
  }
  auto ext = ParseVekExtensions(entry->vek.get());
  if (!ext.ok()) return ext.status();
  entry->ext = std::move(*ext);
  entry->links = VerifyChainLinks(entry->vek.get(), entry->chain, trust_);
  const auto add = [&entry](std::string name, std::string value) {
    entry->vek_fields.emplace_back(std::move(name), std::move(value));
  };
  add("ROOT",
      entry->links.root_description.empty() ? "(none verified)" : entry->links.root_description);
  add("ROOT_PINNED", entry->links.root_pinned ? "true" : "false");
  add("VEK.SUBJECT", SubjectName(entry->vek.get()));
  add("VEK.ISSUER", IssuerName(entry->vek.get()));
  UnixTime nb = 0, na = 0;
  if (CertificateValidityRange(entry->vek.get(), &nb, &na)) {
    add("VEK.NOT_BEFORE", FormatRfc3339(nb));
    add("VEK.NOT_AFTER", FormatRfc3339(na));
  }
  for (auto& f : DescribeVekExtensions(entry->ext, "VEK."))
    entry->vek_fields.push_back(std::move(f));
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= kMaxCachedChains) cache_.clear();
  cache_.emplace(std::move(key), entry);
  return std::shared_ptr<const CachedChain>(entry);
}

absl::StatusOr<SnpVerification> SnpVerifier::Verify(ByteSpan report_bytes, ByteSpan vek,
                                                    ByteSpan chain, UnixTime now, ByteSpan crl) {
  auto report = ParseSnpReport(SnpReportPrefix(report_bytes));
  if (!report.ok()) return report.status();
  auto loaded = LoadChain(vek, chain);
  if (!loaded.ok()) return loaded.status();
  const CachedChain& c = **loaded;

  SnpVerification v;
  v.report = *report;
  v.vek = c.ext;
  VerificationReport& out = v.result;
  out.tee = Tee::kSevSnp;
  out.version = static_cast<int>(report->version);

  // The path comes from the report's SIGNING_KEY; an unsigned report is judged as a VCEK one
  // would be unless the certificate says VLEK (it fails the signature check either way).
  VekKind kind = VekKind::kVcek;
  if (report->signing_key() == SigningKey::kVlek ||
      (report->signing_key() == SigningKey::kNone && c.ext.csp_id)) {
    kind = VekKind::kVlek;
  }

  const auto [sig_value, sig_detail] = CheckSignature(*report, c.vek.get());
  AddCheck(&out, "signature", sig_value, sig_detail);

  const Product cpuid_product = report->has_cpuid()
                                    ? ProductFromCpuid(report->cpuid_fam_id, report->cpuid_mod_id)
                                    : Product::kUnknown;
  // The key kind first: a VLEK offered for a VCEK-signed report is the wrong certificate,
  // whatever its validity (an expired VLEK must not read "vcek-expired"). Link failures
  // (names, signatures, pins) still come before it.
  ChainVerdict chain_verdict = {c.links.failure.empty() ? "ok" : c.links.failure,
                                c.links.failure_detail};
  if (chain_verdict.value == "ok") {
    auto [value, detail] = CheckVekKind(kind, c.ext);
    chain_verdict = {value, detail};
  }
  if (chain_verdict.value == "ok") chain_verdict = EvaluateChainAt(c.links, kind, now);
  if (chain_verdict.value == "ok") {
    auto [value, detail] = CheckProductConsistency(c.links.product, cpuid_product, c.ext);
    chain_verdict = {value, detail};
  }
  AddCheck(&out, "chain", chain_verdict.value, chain_verdict.detail);

  v.product = c.links.product;
  if (v.product == Product::kUnknown) v.product = cpuid_product;
  if (v.product == Product::kUnknown) v.product = ProductFromVekName(c.ext);
  v.layout = LayoutForProduct(v.product);

  const auto [tcb_value, tcb_detail] = CheckTcb(*report, v.layout, c.ext);
  AddCheck(&out, "tcb_vs_cert", tcb_value, tcb_detail);
  const auto [chip_value, chip_detail] = CheckChipId(*report, kind, c.ext);
  AddCheck(&out, "chip_id", chip_value, chip_detail);
  if (!crl.empty()) {
    const CrlVerdict verdict =
        CheckAmdCrl(crl, c.links.root.get(), c.links.intermediate.get(), now);
    AddCheck(&out, "crl", verdict.value, verdict.detail);
  }

  const EvidenceLength length = SnpReportLength(report_bytes);
  {
    // SNP check values are the token; the detail goes to the reasons.
    const std::string verdict = EvaluateEvidenceLength(length, strict_length_, "SNP report");
    const size_t space = verdict.find(' ');
    AddCheck(&out, "length", verdict.substr(0, space),
             space == std::string::npos ? "" : verdict.substr(space + 1));
  }

  out.fields = DescribeSnpReport(*report);
  out.fields.emplace_back("TRAILING_BYTES", absl::StrCat(length.trailing));
  const auto add = [&out](std::string name, std::string value) {
    out.fields.emplace_back(std::move(name), std::move(value));
  };
  add("PRODUCT", std::string(ProductName(v.product)));
  add("TCB_LAYOUT", std::string(LayoutName(v.layout)));
  add("REPORTED_TCB.DECODED", TcbPartsToString(DecodeTcb(report->reported_tcb, v.layout)));
  add("VEK.KIND", kind == VekKind::kVcek ? "VCEK" : "VLEK");
  out.fields.insert(out.fields.end(), c.vek_fields.begin(), c.vek_fields.end());
  add("VERIFY_TIME", FormatRfc3339(now));
  return v;
}

}  // namespace pv::attest::snp
