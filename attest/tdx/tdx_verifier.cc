// TdxVerifier: runs the checks documented in tdx_verifier.h and records each one.
// Expensive, input-determined results (PCK chain verification, collateral signatures, CRL
// signatures, attestation-key objects) are cached keyed by their exact input bytes;
// anything that depends on `now` (validity windows) is re-checked on every call.
#include "attest/tdx/tdx_verifier.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "attest/common/cert_util.h"
#include "attest/common/evidence_length.h"
#include "attest/tdx/bounded_cache.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/openssl_util.h"
#include "attest/tdx/pck_chain.h"
#include "attest/tdx/pck_extensions.h"
#include "attest/tdx/quote.h"
#include "attest/tdx/status_macros.h"
#include "attest/tdx/tcb_eval.h"

namespace pv::attest::tdx {

// SHA-256 of the DER of "Intel SGX Root CA" (44:A0:19:6B:...; ../shared/vectors/README.md).
const std::array<uint8_t, 32> kIntelSgxRootCaSha256 = {
    0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
    0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3};

namespace {

constexpr absl::string_view kTcbSigningCn = "Intel SGX TCB Signing";

struct Anchor {
  X509Ptr cert;
  bool pinned = false;
  std::string fingerprint;  // raw SHA-256 of DER
};

struct VerifiedChain {
  std::shared_ptr<const PckChain> chain;
  std::shared_ptr<const Anchor> anchor;
  Validity validity;
};

struct VerifiedCollateral {
  std::string document;  // owned copy; parsed views below point into it
  std::optional<ParsedTcbInfo> tcb_info;
  std::optional<ParsedQeIdentity> qe_identity;
  X509Ptr signer;     // TCB signing certificate
  Validity validity;  // of the signing chain
};

struct VerifiedCrl {
  X509CrlPtr crl;
  X509Ptr issuer;  // the certificate whose key verified the CRL
  time_t this_update = 0;
  time_t next_update = 0;
};

std::string Fail(absl::string_view reason) {
  return absl::StrCat("fail:", reason);
}

void AddCheck(VerificationReport& report, std::string name, std::string value, bool passed) {
  report.checks.push_back({std::move(name), value, passed});
  if (!passed) report.reasons.push_back(absl::StrCat(report.checks.back().name, ": ", value));
}

std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    out += absl::StrCat("\"", items[i], "\"");  // advisory IDs are [A-Z0-9-]
  }
  return out + "]";
}

}  // namespace

namespace {

// The state of one Verify() call: its inputs, what earlier checks established (later checks
// depend on a trusted chain and trusted collateral), and the report being built.
struct VerifyRun {
  VerifyRun(const ParsedQuote& quote, const TdxCollateral& c, const TdxVerifyOptions& o)
      : q(quote), collateral(c), options(o), now(absl::ToTimeT(o.now)) {}

  const ParsedQuote& q;
  const TdxCollateral& collateral;
  const TdxVerifyOptions& options;
  time_t now;
  VerificationReport report;
  std::shared_ptr<const PckChain> chain;  // parsed, not yet trusted
  absl::Status chain_parse;
  std::shared_ptr<const Anchor> anchor;           // set only if pinned or explicitly allowed
  std::shared_ptr<const VerifiedChain> verified;  // set only if pck_chain passed
  std::shared_ptr<const VerifiedCollateral> tcb_info, qe_identity;
  absl::Status collateral_status;
  std::optional<QeIdentityResult> qe_result;

  void Add(std::string name, std::string value, bool passed) {
    AddCheck(report, std::move(name), std::move(value), passed);
  }
  void Skip(const char* check, const char* what, bool allowed) {
    Add(check, absl::StrCat("skipped:no-", what), allowed);
  }
  bool Accepted(const std::string& status) const {
    const auto& acc = options.accepted_tcb_statuses;
    return std::find(acc.begin(), acc.end(), status) != acc.end();
  }
};

}  // namespace

struct TdxVerifier::Impl {
  BoundedCache<Anchor> anchors;
  BoundedCache<PckChain> parsed_chains;
  BoundedCache<VerifiedChain> verified_chains;
  BoundedCache<VerifiedCollateral> collateral;
  BoundedCache<VerifiedCrl> crls;
  BoundedCache<P256Verifier> attestation_keys;

  absl::StatusOr<std::shared_ptr<const Anchor>> GetAnchor(const TdxVerifyOptions& options,
                                                          const PckChain* quote_chain,
                                                          absl::string_view quote_chain_pem);
  absl::StatusOr<std::shared_ptr<const VerifiedChain>> VerifyPckChain(
      absl::string_view pem, const std::shared_ptr<const PckChain>& chain,
      const std::shared_ptr<const Anchor>& anchor, time_t now);
  absl::StatusOr<std::shared_ptr<const VerifiedCollateral>> VerifyCollateral(
      absl::string_view document, bool is_tcb_info, absl::string_view chain_pem,
      const Anchor& anchor, time_t now);
  absl::StatusOr<std::shared_ptr<const VerifiedCrl>> VerifyCrl(absl::string_view crl_bytes,
                                                               X509* issuer, time_t now,
                                                               absl::string_view what);
  absl::StatusOr<std::shared_ptr<const P256Verifier>> AttestationKey(absl::string_view xy);

  // The checks, in the order Verify() runs them; each records its outcome in run.report.
  void ParseChain(VerifyRun& run);
  void CheckSignatures(VerifyRun& run);
  void CheckPckChain(VerifyRun& run);
  void CheckPckCrl(VerifyRun& run);
  void VerifyCollateralDocuments(VerifyRun& run);
  void CheckRootCrl(VerifyRun& run);
  void CheckCollateralSignatures(VerifyRun& run);
  void CheckQeIdentity(VerifyRun& run);
  void CheckTcb(VerifyRun& run);
};

namespace {

// A trust anchor for `cert`: its SHA-256 fingerprint and whether that is Intel's pinned root.
std::shared_ptr<const Anchor> MakeAnchor(X509Ptr cert) {
  auto anchor = std::make_shared<Anchor>();
  anchor->cert = std::move(cert);
  anchor->fingerprint = Sha256String(DerOf(anchor->cert.get()));
  anchor->pinned = anchor->fingerprint ==
                   absl::string_view(reinterpret_cast<const char*>(kIntelSgxRootCaSha256.data()),
                                     kIntelSgxRootCaSha256.size());
  return anchor;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Anchor>> TdxVerifier::Impl::GetAnchor(
    const TdxVerifyOptions& options, const PckChain* quote_chain,
    absl::string_view quote_chain_pem) {
  if (!options.root_certificate.empty()) {
    const std::string key = absl::StrCat("explicit:", options.root_certificate);
    if (auto hit = anchors.Get(key)) return hit;
    PV_TDX_ASSIGN_OR_RETURN(X509Ptr cert,
                            ParseCertificate(options.root_certificate, "root certificate"));
    std::shared_ptr<const Anchor> out = MakeAnchor(std::move(cert));
    anchors.Put(key, out);
    return out;
  }
  X509* embedded_root = nullptr;
  if (quote_chain != nullptr) {
    for (const auto& c : quote_chain->certs) {
      if (IsSelfSigned(c.get())) embedded_root = c.get();
    }
  }
  if (embedded_root == nullptr) {
    return absl::InvalidArgumentError(
        "no root certificate given and the quote's PCK chain has no self-signed root");
  }
  const std::string key = absl::StrCat("quote:", quote_chain_pem);
  if (auto hit = anchors.Get(key)) return hit;
  std::shared_ptr<const Anchor> out = MakeAnchor(X509Ptr(X509_dup(embedded_root)));
  anchors.Put(key, out);
  return out;
}

absl::StatusOr<std::shared_ptr<const VerifiedChain>> TdxVerifier::Impl::VerifyPckChain(
    absl::string_view pem, const std::shared_ptr<const PckChain>& chain,
    const std::shared_ptr<const Anchor>& anchor, time_t now) {
  // Keys are the exact input bytes (the fingerprint has a fixed length, so the split between
  // the parts is unambiguous); hashing them with SHA-256 first would cost more than it saves.
  const std::string key = absl::StrCat(pem, anchor->fingerprint);
  if (auto hit = verified_chains.Get(key)) {
    if (now >= hit->validity.not_before && now <= hit->validity.not_after) return hit;
  }
  // Every failure below is "<token> <detail>"; the token is the check value's reason.
  const auto untrusted = [](const absl::Status& s) {
    return absl::InvalidArgumentError(absl::StrCat("untrusted ", s.message()));
  };
  if (!IsSelfSigned(anchor->cert.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat("untrusted root \"", SubjectCn(anchor->cert.get()), "\" is not self-signed"));
  }
  if (!chain->extensions.ok()) return untrusted(chain->extensions.status());
  const std::string leaf_cn = SubjectCn(chain->leaf);
  if (leaf_cn.find("SGX PCK Certificate") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("untrusted PCK leaf subject CN \"", leaf_cn,
                                                   "\", expected \"Intel SGX PCK Certificate\""));
  }
  if (chain->ca.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("untrusted PCK issuer CN \"", CommonName(X509_get_issuer_name(chain->leaf)),
                     "\", expected \"", kPlatformCaCn, "\" or \"", kProcessorCaCn, "\""));
  }
  // The root carried in the quote, as QVL checks it: present, its self-signature verifies, and
  // it is byte-for-byte the trusted root (STATUS_SGX_PCK_CERT_CHAIN_UNTRUSTED otherwise). An
  // explicit --root does not make a missing, corrupted or replaced embedded root acceptable.
  if (chain->embedded_root == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "root-missing the PCK chain has no root certificate that issued \"",
        SubjectCn(chain->issuer), "\" (", chain->certs.size(), " certificate(s) in the quote)"));
  }
  {
    EvpPkeyPtr embedded_key(X509_get_pubkey(chain->embedded_root));
    if (!embedded_key || X509_verify(chain->embedded_root, embedded_key.get()) != 1) {
      DrainOpenSslErrors();
      return absl::InvalidArgumentError(
          absl::StrCat("root-bad-signature the self-signature of the quote's root \"",
                       SubjectCn(chain->embedded_root), "\" does not verify"));
    }
  }
  if (DerOf(chain->embedded_root) != DerOf(anchor->cert.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat("root-untrusted the quote's root \"", SubjectCn(chain->embedded_root),
                     "\" sha256=", HexEncode(Sha256String(DerOf(chain->embedded_root))),
                     " is not the trusted root sha256=", HexEncode(anchor->fingerprint)));
  }
  std::vector<X509*> intermediates;
  for (const auto& c : chain->certs) {
    if (c.get() != chain->leaf && !IsSelfSigned(c.get())) intermediates.push_back(c.get());
  }
  if (absl::Status s =
          VerifyCertificateChain(chain->leaf, intermediates, anchor->cert.get(), now, "PCK chain");
      !s.ok()) {
    return untrusted(s);
  }
  // The root's own signature: X509_verify_cert does not check a trust anchor's self-signature.
  EvpPkeyPtr root_key(X509_get_pubkey(anchor->cert.get()));
  if (!root_key || X509_verify(anchor->cert.get(), root_key.get()) != 1) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError("untrusted root certificate self-signature does not verify");
  }
  std::vector<X509*> all = {chain->leaf, chain->issuer, anchor->cert.get()};
  auto validity = ChainValidity(all);
  if (!validity.ok()) return untrusted(validity.status());
  auto verified = std::make_shared<VerifiedChain>();
  verified->chain = chain;
  verified->anchor = anchor;
  verified->validity = *validity;
  std::shared_ptr<const VerifiedChain> out = verified;
  verified_chains.Put(key, out);
  return out;
}

absl::StatusOr<std::shared_ptr<const VerifiedCollateral>> TdxVerifier::Impl::VerifyCollateral(
    absl::string_view document, bool is_tcb_info, absl::string_view chain_pem, const Anchor& anchor,
    time_t now) {
  const absl::string_view what = is_tcb_info ? "TCB info" : "QE identity";
  const std::string key = absl::StrCat(is_tcb_info ? "t" : "q", document.size(), ":", document,
                                       anchor.fingerprint, chain_pem);
  std::shared_ptr<const VerifiedCollateral> entry = collateral.Get(key);
  if (entry && !(now >= entry->validity.not_before && now <= entry->validity.not_after)) {
    entry = nullptr;  // re-verify to report precisely which certificate is out of validity
  }
  if (entry == nullptr) {
    auto fresh = std::make_shared<VerifiedCollateral>();
    fresh->document = std::string(document);
    absl::string_view signed_bytes;
    std::string signature;
    if (is_tcb_info) {
      PV_TDX_ASSIGN_OR_RETURN(fresh->tcb_info, ParseTcbInfoDocument(fresh->document));
      signed_bytes = fresh->tcb_info->signed_json.signed_bytes;
      signature = fresh->tcb_info->signed_json.signature;
    } else {
      PV_TDX_ASSIGN_OR_RETURN(fresh->qe_identity, ParseQeIdentityDocument(fresh->document));
      signed_bytes = fresh->qe_identity->signed_json.signed_bytes;
      signature = fresh->qe_identity->signed_json.signature;
    }
    if (chain_pem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": no issuer chain supplied"));
    }
    PV_TDX_ASSIGN_OR_RETURN(auto certs, ParsePemCertificates(chain_pem, kMaxChainCerts,
                                                             absl::StrCat(what, " issuer chain")));
    // The signer is the "Intel SGX TCB Signing" certificate wherever it sits in the bundle
    // (PCS sends it first; some tools put the root first).
    X509* signer = nullptr;
    for (const auto& c : certs) {
      if (signer == nullptr && !IsSelfSigned(c.get()) && SubjectCn(c.get()) == kTcbSigningCn) {
        signer = c.get();
      }
    }
    if (signer == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(what, " issuer chain: no \"", kTcbSigningCn,
                                                     "\" certificate (first subject CN \"",
                                                     SubjectCn(certs[0].get()), "\")"));
    }
    std::vector<X509*> intermediates;
    for (const auto& c : certs) {
      if (c.get() != signer && !IsSelfSigned(c.get())) intermediates.push_back(c.get());
    }
    PV_TDX_RETURN_IF_ERROR(VerifyCertificateChain(signer, intermediates, anchor.cert.get(), now,
                                                  absl::StrCat(what, " signing chain")));
    EvpPkeyPtr key_obj(X509_get_pubkey(signer));
    if (!key_obj) return absl::InvalidArgumentError(absl::StrCat(what, ": signer has no key"));
    PV_TDX_RETURN_IF_ERROR(
        VerifyEcdsaP256(key_obj.get(), signed_bytes, signature, absl::StrCat(what, " signature")));
    std::vector<X509*> all = {signer, anchor.cert.get()};
    for (X509* c : intermediates) all.push_back(c);
    PV_TDX_ASSIGN_OR_RETURN(fresh->validity, ChainValidity(all));
    fresh->signer.reset(X509_dup(signer));
    entry = fresh;
    collateral.Put(key, entry);
  }
  const time_t issue =
      is_tcb_info ? entry->tcb_info->info.issue_date : entry->qe_identity->identity.issue_date;
  const time_t next =
      is_tcb_info ? entry->tcb_info->info.next_update : entry->qe_identity->identity.next_update;
  if (now < issue || now > next) {
    return absl::InvalidArgumentError(absl::StrCat(what, " not valid at ", FormatUnixTime(now),
                                                   ": issueDate ", FormatUnixTime(issue),
                                                   ", nextUpdate ", FormatUnixTime(next)));
  }
  return entry;
}

absl::StatusOr<std::shared_ptr<const VerifiedCrl>> TdxVerifier::Impl::VerifyCrl(
    absl::string_view crl_bytes, X509* issuer, time_t now, absl::string_view what) {
  const std::string key(crl_bytes);
  std::shared_ptr<const VerifiedCrl> entry = crls.Get(key);
  // A hit counts only for the same issuer certificate (X509_cmp compares cached digests).
  if (entry != nullptr && X509_cmp(entry->issuer.get(), issuer) != 0) entry = nullptr;
  if (entry == nullptr) {
    auto fresh = std::make_shared<VerifiedCrl>();
    X509_up_ref(issuer);
    fresh->issuer.reset(issuer);
    PV_TDX_ASSIGN_OR_RETURN(fresh->crl, ParseCrl(crl_bytes, what));
    if (X509_NAME_cmp(X509_CRL_get_issuer(fresh->crl.get()), X509_get_subject_name(issuer)) != 0) {
      // The whole DN, and what differs: names that differ only in, say, the locality have the
      // same CN, and a message showing only CNs would read "X is not X".
      const X509_NAME* seen = X509_CRL_get_issuer(fresh->crl.get());
      const X509_NAME* expected = X509_get_subject_name(issuer);
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": issuer \"", DistinguishedName(seen), "\" is not the expected issuer \"",
          DistinguishedName(expected), "\" (it ", NameDifference(seen, expected), ")"));
    }
    EvpPkeyPtr issuer_key(X509_get_pubkey(issuer));
    if (!issuer_key || X509_CRL_verify(fresh->crl.get(), issuer_key.get()) != 1) {
      DrainOpenSslErrors();
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": signature does not verify with \"", SubjectCn(issuer), "\""));
    }
    PV_TDX_ASSIGN_OR_RETURN(fresh->this_update,
                            Asn1TimeToUnix(X509_CRL_get0_lastUpdate(fresh->crl.get())));
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(fresh->crl.get());
    if (next == nullptr) return absl::InvalidArgumentError(absl::StrCat(what, ": no nextUpdate"));
    PV_TDX_ASSIGN_OR_RETURN(fresh->next_update, Asn1TimeToUnix(next));
    entry = fresh;
    crls.Put(key, entry);
  }
  if (now < entry->this_update || now > entry->next_update) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " not valid at ", FormatUnixTime(now), ": thisUpdate ",
        FormatUnixTime(entry->this_update), ", nextUpdate ", FormatUnixTime(entry->next_update)));
  }
  return entry;
}

absl::StatusOr<std::shared_ptr<const P256Verifier>> TdxVerifier::Impl::AttestationKey(
    absl::string_view xy) {
  const std::string key(xy);
  if (auto hit = attestation_keys.Get(key)) return hit;
  PV_TDX_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, P256KeyFromXY(xy));
  std::shared_ptr<const P256Verifier> out = std::make_shared<P256Verifier>(std::move(pkey));
  attestation_keys.Put(key, out);
  return out;
}

namespace {

// Is `cert` listed in `crl`? Returns the revocation as an error message.
absl::Status CheckNotRevoked(const VerifiedCrl& crl, X509* cert, absl::string_view what) {
  X509_REVOKED* revoked = nullptr;
  if (X509_CRL_get0_by_serial(crl.crl.get(), &revoked,
                              const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(cert))) == 1) {
    return absl::PermissionDeniedError(
        absl::StrCat("revoked ", what, " \"", SubjectCn(cert),
                     "\" serial=", SerialHex(X509_get0_serialNumber(cert))));
  }
  return absl::OkStatus();
}

std::string StatusReason(absl::string_view tag, const absl::Status& status) {
  return Fail(absl::StrCat(tag, " ", status.message()));
}

}  // namespace

TdxVerifier::TdxVerifier() : impl_(std::make_unique<Impl>()) {}
TdxVerifier::~TdxVerifier() = default;

void TdxVerifier::ClearCaches() {
  impl_->anchors.Clear();
  impl_->parsed_chains.Clear();
  impl_->verified_chains.Clear();
  impl_->collateral.Clear();
  impl_->crls.Clear();
  impl_->attestation_keys.Clear();
}

// Parses (does not trust) the PCK chain; its leaf key is needed for the QE report signature.
void TdxVerifier::Impl::ParseChain(VerifyRun& run) {
  const std::string key(run.q.pck_chain_pem);
  run.chain = parsed_chains.Get(key);
  if (run.chain == nullptr) {
    auto parsed = ParsePckChain(run.q.pck_chain_pem);
    if (!parsed.ok()) {
      run.chain_parse = parsed.status();
      return;
    }
    run.chain = *parsed;
    parsed_chains.Put(key, run.chain);
  }
  if (!run.chain->extensions.ok()) return;
  const PckExtensions& ext = *run.chain->extensions;
  auto& f = run.report.fields;
  f.emplace_back("PCK.CA", run.chain->ca);
  f.emplace_back("PCK.FMSPC", HexEncode(ext.fmspc));
  f.emplace_back("PCK.PCEID", HexEncode(ext.pceid));
  f.emplace_back("PCK.PCESVN", absl::StrCat(ext.pcesvn));
  f.emplace_back("PCK.CPUSVN", HexEncode(ext.cpusvn));
  f.emplace_back(
      "PCK.TCB_COMPONENTS",
      HexEncode(absl::string_view(reinterpret_cast<const char*>(ext.tcb_components.data()), 16)));
  f.emplace_back("PCK.SERIAL", run.chain->serial_hex);
}

// quote_sig, qe_report_sig, ak_binding.
void TdxVerifier::Impl::CheckSignatures(VerifyRun& run) {
  const ParsedQuote& q = run.q;
  auto ak = AttestationKey(q.attestation_key);
  absl::Status s =
      ak.ok() ? (*ak)->Verify(q.signed_data, q.signature, "quote signature") : ak.status();
  run.Add("quote_sig", s.ok() ? "ok" : StatusReason("bad-signature", s), s.ok());

  // Without a parsed PCK chain there is no key to check the QE report with: say why, rather
  // than calling the signature bad.
  if (!run.chain) {
    run.Add("qe_report_sig", StatusReason("pck-chain-malformed", run.chain_parse), false);
  } else {
    s = run.chain->leaf_key->Verify(q.qe_report, q.qe_report_signature, "QE report signature");
    run.Add("qe_report_sig", s.ok() ? "ok" : StatusReason("bad-signature", s), s.ok());
  }

  // REPORT_DATA = SHA-256(AK || QE auth data) || 0^32 (the padding is checked too).
  std::string material(q.attestation_key);
  material.append(q.qe_auth_data.data(), q.qe_auth_data.size());
  const std::string expected = Sha256String(material) + std::string(32, '\0');
  absl::string_view seen = q.QeField(QeReportLayout::kReportData, 64);
  const bool ok = seen == expected;
  run.Add("ak_binding",
          ok ? "ok"
             : Fail(absl::StrCat("hash-mismatch QE_REPORT.REPORT_DATA seen=", HexEncode(seen),
                                 " expected=", HexEncode(expected))),
          ok);
}

// pck_chain: the root is pinned (or explicitly allowed), then the chain verifies at `now`.
void TdxVerifier::Impl::CheckPckChain(VerifyRun& run) {
  std::string value;
  auto anchor = GetAnchor(run.options, run.chain.get(), run.q.pck_chain_pem);
  if (anchor.ok()) {
    run.report.fields.emplace_back("ROOT_SHA256", HexEncode((*anchor)->fingerprint));
    run.report.fields.emplace_back("ROOT_PINNED", (*anchor)->pinned ? "true" : "false");
  }
  if (!run.chain) {
    value = StatusReason("malformed", run.chain_parse);
  } else if (!anchor.ok()) {
    value = StatusReason("no-root", anchor.status());
  } else if (!(*anchor)->pinned && !run.options.allow_unpinned_root) {
    value = Fail(absl::StrCat("root-not-pinned sha256=", HexEncode((*anchor)->fingerprint),
                              " expected=",
                              HexEncode(absl::string_view(
                                  reinterpret_cast<const char*>(kIntelSgxRootCaSha256.data()), 32)),
                              " (use allow_unpinned_root / --allow-root for test roots)"));
  } else {
    run.anchor = *anchor;
    auto v = VerifyPckChain(run.q.pck_chain_pem, run.chain, run.anchor, run.now);
    if (v.ok()) {
      run.verified = *v;
      value = "ok";
    } else {
      value = Fail(v.status().message());
    }
  }
  run.Add("pck_chain", value, run.verified != nullptr);
}

// pck_crl: signed by the PCK CA, current, PCK serial not listed.
void TdxVerifier::Impl::CheckPckCrl(VerifyRun& run) {
  if (run.collateral.pck_crl.empty()) {
    run.Skip("pck_crl", "pck-crl", run.options.allow_missing_crls);
    return;
  }
  if (!run.verified) {
    run.Add("pck_crl", Fail("pck-chain-untrusted"), false);
    return;
  }
  auto crl = VerifyCrl(run.collateral.pck_crl, run.chain->issuer, run.now, "PCK CRL");
  absl::Status s =
      crl.ok() ? CheckNotRevoked(**crl, run.chain->leaf, "PCK certificate") : crl.status();
  run.Add(
      "pck_crl",
      s.ok() ? "ok,not-revoked" : (crl.ok() ? Fail(s.message()) : StatusReason("invalid-crl", s)),
      s.ok());
}

// Verifies the TCB info and QE identity documents (recorded later as collateral_sigs, after
// root_crl, which also covers their signing certificate).
void TdxVerifier::Impl::VerifyCollateralDocuments(VerifyRun& run) {
  const TdxCollateral& c = run.collateral;
  if (c.tcb_info_json.empty() && c.qe_identity_json.empty()) return;
  if (!run.anchor) {
    // Name the chain problem (pck_chain's value) instead of a bare "no trusted root".
    const CheckOutcome* pck = run.report.Find("pck_chain");
    run.collateral_status = absl::FailedPreconditionError(
        absl::StrCat("no trusted root: pck_chain ", pck != nullptr ? pck->value : "not checked"));
    return;
  }
  if (!c.tcb_info_json.empty()) {
    auto r =
        VerifyCollateral(c.tcb_info_json, true, c.tcb_info_issuer_chain_pem, *run.anchor, run.now);
    if (!r.ok()) {
      run.collateral_status = r.status();
      return;
    }
    run.tcb_info = *r;
  }
  if (!c.qe_identity_json.empty()) {
    const std::string& chain_pem = c.qe_identity_issuer_chain_pem.empty()
                                       ? c.tcb_info_issuer_chain_pem
                                       : c.qe_identity_issuer_chain_pem;
    auto r = VerifyCollateral(c.qe_identity_json, false, chain_pem, *run.anchor, run.now);
    if (!r.ok()) {
      run.collateral_status = r.status();
      return;
    }
    run.qe_identity = *r;
  }
}

// root_crl: signed by the root, current, revokes neither the PCK CA nor the TCB signer.
void TdxVerifier::Impl::CheckRootCrl(VerifyRun& run) {
  if (run.collateral.root_ca_crl.empty()) {
    run.Skip("root_crl", "root-crl", run.options.allow_missing_crls);
    return;
  }
  if (!run.anchor || !run.verified) {
    run.Add("root_crl", Fail("pck-chain-untrusted"), false);
    return;
  }
  auto crl = VerifyCrl(run.collateral.root_ca_crl, run.anchor->cert.get(), run.now, "root CA CRL");
  absl::Status s = crl.ok() ? CheckNotRevoked(**crl, run.chain->issuer, "PCK CA") : crl.status();
  for (const auto& doc : {run.tcb_info, run.qe_identity}) {
    if (s.ok() && doc) s = CheckNotRevoked(**crl, doc->signer.get(), "TCB signing certificate");
  }
  run.Add("root_crl",
          s.ok() ? "ok" : (crl.ok() ? Fail(s.message()) : StatusReason("invalid-crl", s)), s.ok());
}

void TdxVerifier::Impl::CheckCollateralSignatures(VerifyRun& run) {
  if (run.collateral.tcb_info_json.empty() && run.collateral.qe_identity_json.empty()) {
    run.Skip("collateral_sigs", "collateral", false);
    return;
  }
  const absl::Status& s = run.collateral_status;
  const char* token = run.anchor ? "untrusted" : "pck-chain-untrusted";
  run.Add("collateral_sigs", s.ok() ? "ok" : StatusReason(token, s), s.ok());
}

// qe_identity: the QE report against the QE identity.
void TdxVerifier::Impl::CheckQeIdentity(VerifyRun& run) {
  if (run.collateral.qe_identity_json.empty()) {
    run.Skip("qe_identity", "qe-identity", run.options.allow_missing_qe_identity);
    return;
  }
  if (!run.qe_identity) {
    run.Add("qe_identity", Fail("collateral-untrusted"), false);
    return;
  }
  run.qe_result = EvaluateQeIdentity(run.qe_identity->qe_identity->identity, run.q.qe_report);
  const QeIdentityResult& r = *run.qe_result;
  run.report.fields.emplace_back("QE_IDENTITY_STATUS", r.failure.empty() ? r.status : "mismatch");
  if (!r.failure.empty()) {
    run.Add("qe_identity", Fail(r.failure), false);
  } else {
    run.Add("qe_identity", r.status, run.Accepted(r.status));
  }
}

// tcb and advisories (QVL evaluation; needs a trusted chain and trusted TCB info).
void TdxVerifier::Impl::CheckTcb(VerifyRun& run) {
  std::string blocked;
  if (run.collateral.tcb_info_json.empty()) {
    run.Skip("tcb", "tcb-info", false);
    run.Skip("advisories", "tcb-info", false);
    return;
  }
  if (!run.tcb_info) {
    blocked = "collateral-untrusted";
  } else if (!run.verified) {
    blocked = "pck-chain-untrusted";
  } else if (run.qe_result && !run.qe_result->failure.empty()) {
    blocked = "qe-identity-mismatch";
  }
  if (!blocked.empty()) {
    run.Add("tcb", Fail(blocked), false);
    run.Add("advisories", Fail(blocked), false);
    return;
  }
  const TcbInfo& info = run.tcb_info->tcb_info->info;
  const TcbEvaluation ev = EvaluateTdxTcb(info, *run.chain->extensions, run.q.body,
                                          run.qe_result ? &*run.qe_result : nullptr);
  auto& f = run.report.fields;
  f.emplace_back("TCB_EVALUATION_DATA_NUMBER", absl::StrCat(info.tcb_evaluation_data_number));
  if (!ev.failure.empty()) {
    run.Add("tcb", Fail(ev.failure), false);
    run.Add("advisories", Fail("tcb-info-mismatch"), false);
    return;
  }
  f.emplace_back("TCB_STATUS", ev.status);
  f.emplace_back("PLATFORM_TCB_STATUS", ev.platform_status);
  f.emplace_back("TDX_MODULE_TCB_STATUS", ev.module_status);
  f.emplace_back("TCB_DATE", ev.tcb_date);
  f.emplace_back("ADVISORY_IDS", absl::StrJoin(ev.advisory_ids, ","));
  run.Add("tcb", ev.status, run.Accepted(ev.status));
  run.Add("advisories", JsonArray(ev.advisory_ids), true);
}

absl::StatusOr<VerificationReport> TdxVerifier::Verify(std::string_view quote,
                                                       const TdxCollateral& collateral,
                                                       const TdxVerifyOptions& options) {
  if (options.now == absl::InfinitePast()) {
    return absl::InvalidArgumentError("TdxVerifyOptions.now must be set (verification time)");
  }
  PV_TDX_ASSIGN_OR_RETURN(ParsedQuote q, ParseQuote(absl::string_view(quote.data(), quote.size())));
  VerifyRun run(q, collateral, options);
  run.report.tee = Tee::kTdx;
  run.report.version = q.version;
  run.report.fields = DecodeQuoteFields(q);
  // QVL runs the same checks (in its own order); here each later step only relies on what the
  // earlier ones established: a trusted chain for the CRLs and collateral, trusted collateral
  // for the QE identity and the TCB evaluation.
  impl_->ParseChain(run);
  impl_->CheckSignatures(run);
  impl_->CheckPckChain(run);
  impl_->CheckPckCrl(run);
  impl_->VerifyCollateralDocuments(run);
  impl_->CheckRootCrl(run);
  impl_->CheckCollateralSignatures(run);
  impl_->CheckQeIdentity(run);
  impl_->CheckTcb(run);
  const EvidenceLength length{q.consumed, q.trailing, q.trailing_all_zero,
                              q.signature_data_slack + q.certification_data_slack};
  const std::string length_value =
      EvaluateEvidenceLength(length, options.strict_length, "TDX quote");
  run.Add("length", length_value, length_value == "ok");
  return std::move(run.report);
}

absl::StatusOr<VerificationReport> VerifyTdxQuote(std::string_view quote,
                                                  const TdxCollateral& collateral,
                                                  const TdxVerifyOptions& options) {
  TdxVerifier verifier;
  return verifier.Verify(quote, collateral, options);
}

absl::StatusOr<CollateralKey> CollateralKeyForQuote(std::string_view quote) {
  PV_TDX_ASSIGN_OR_RETURN(ParsedQuote q, ParseQuote(absl::string_view(quote.data(), quote.size())));
  PV_TDX_ASSIGN_OR_RETURN(auto chain, ParsePckChain(q.pck_chain_pem));
  if (!chain->extensions.ok()) return chain->extensions.status();
  if (chain->ca.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("PCK issuer CN \"", CommonName(X509_get_issuer_name(chain->leaf)),
                     "\" is neither the Platform nor the Processor CA"));
  }
  return CollateralKey{HexEncode(chain->extensions->fmspc), chain->ca};
}

}  // namespace pv::attest::tdx
