#include "attest/snp/snp_chain.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "attest/common/cert_util.h"
#include "attest/common/signature_util.h"

namespace pv::attest::snp {
namespace {

bool SelfIssued(const X509* cert) {
  return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

ValidityWindow WindowOf(const X509* cert) {
  ValidityWindow w;
  w.subject = SubjectName(cert);
  w.readable = CertificateValidityRange(cert, &w.not_before, &w.not_after);
  return w;
}

}  // namespace

absl::Status VerifyAmdLink(const X509* child, const X509* parent) {
  if (!IssuedBy(child, parent)) {
    return absl::InvalidArgumentError(absl::StrCat("'", SubjectName(child), "' is issued by '",
                                                   IssuerName(child), "', not by '",
                                                   SubjectName(parent), "'"));
  }
  if (absl::Status s = CheckRsaPssSha384Profile(child); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("'", SubjectName(child), "': ", s.message()));
  }
  EVP_PKEY* key = X509_get0_pubkey(parent);
  if (!IsRsaKey(key)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", SubjectName(parent), "' does not have an RSA key"));
  }
  auto der = CertificateDer(child);
  if (!der.ok()) return der.status();
  auto parts = SplitCertificate(*der);
  if (!parts.ok()) return parts.status();
  if (!VerifyRsaPssSha384(key, parts->tbs, parts->signature)) {
    return absl::UnauthenticatedError(absl::StrCat("signature of '", SubjectName(child),
                                                   "' does not verify with the key of '",
                                                   SubjectName(parent), "'"));
  }
  return absl::OkStatus();
}

namespace {

ChainLinks Fail(ChainLinks links, std::string value, std::string detail) {
  links.failure = std::move(value);
  links.failure_detail = std::move(detail);
  return links;
}

}  // namespace

ChainLinks VerifyChainLinks(const X509* vek, const std::vector<X509Ptr>& chain,
                            const TrustStore& trust) {
  ChainLinks links;
  links.windows.push_back(WindowOf(vek));
  if (!IsEcKeyOnCurve(X509_get0_pubkey(vek), "secp384r1")) {
    return Fail(std::move(links), "fail:vek-key-not-p384",
                "the VEK certificate's key is not an ECDSA P-384 key");
  }
  if (X509_get_version(vek) != X509_VERSION_3) {
    return Fail(std::move(links), "fail:vek-not-x509v3", "the VEK certificate is not X.509 v3");
  }

  // The intermediate is the chain certificate whose subject is the VEK's issuer.
  const X509* intermediate = nullptr;
  std::vector<std::string> offered;
  for (const auto& cert : chain) {
    if (SelfIssued(cert.get())) continue;
    offered.push_back(SubjectName(cert.get()));
    if (intermediate == nullptr && IssuedBy(vek, cert.get())) intermediate = cert.get();
  }
  if (intermediate == nullptr) {
    if (offered.empty()) {
      return Fail(std::move(links), "fail:missing-ask",
                  "the chain has no intermediate (ASK/ASVK) certificate");
    }
    return Fail(std::move(links), "fail:unknown-issuer",
                absl::StrCat("VEK issuer '", IssuerName(vek),
                             "' is not the subject of any chain certificate (have: '",
                             absl::StrJoin(offered, "', '"), "')"));
  }
  if (absl::Status s = VerifyAmdLink(vek, intermediate); !s.ok()) {
    return Fail(std::move(links),
                absl::IsUnauthenticated(s) ? "fail:bad-signature" : "fail:bad-signature-algorithm",
                std::string(s.message()));
  }
  links.windows.push_back(WindowOf(intermediate));
  links.intermediate.reset(X509_dup(intermediate));

  // Root candidates: the trust store's roots, plus self-issued certificates supplied with the
  // chain whose fingerprint is pinned (as trustworthy as the same root from the trust
  // directory). A supplied root that is neither pinned nor allowed is refused.
  std::vector<const TrustedRoot*> candidates;
  std::string rejected_root;
  TrustStore chain_pinned;
  for (const auto& cert : chain) {
    if (!SelfIssued(cert.get()) || !IssuedBy(intermediate, cert.get())) continue;
    auto digest = CertificateSha256(cert.get());
    if (!digest.ok() || trust.Find(*digest) != nullptr) continue;
    if (FindPinnedRoot(*digest)) {
      (void)chain_pinned.AddPinned(X509Ptr(X509_dup(cert.get())), "chain");
    } else {
      rejected_root = absl::StrCat("root '", SubjectName(cert.get()), "' (SHA-256 ",
                                   HexEncode(*digest), ") is not pinned and was not allowed");
    }
  }
  for (const auto& root : chain_pinned.roots()) candidates.push_back(&root);
  for (const auto& root : trust.roots()) {
    if (IssuedBy(intermediate, root.cert.get())) candidates.push_back(&root);
  }
  if (candidates.empty()) {
    if (!rejected_root.empty())
      return Fail(std::move(links), "fail:root-not-pinned", rejected_root);
    return Fail(std::move(links), "fail:unknown-root",
                absl::StrCat("no trusted root named '", IssuerName(intermediate),
                             "' (the issuer of '", SubjectName(intermediate), "')"));
  }
  std::string last_error;
  for (const TrustedRoot* root : candidates) {
    absl::Status s = VerifyAmdLink(intermediate, root->cert.get());
    if (!s.ok()) {
      last_error = std::string(s.message());
      continue;
    }
    links.windows.push_back(WindowOf(root->cert.get()));
    links.root.reset(X509_dup(root->cert.get()));
    links.product = ProductFromName(root->product);
    links.root_pinned = root->pinned;
    links.root_description = root->pinned
                                 ? absl::StrCat(SubjectName(root->cert.get()), " (pinned SHA-256 ",
                                                HexEncode(root->sha256), ")")
                                 : absl::StrCat("allowed root '", SubjectName(root->cert.get()),
                                                "' from ", root->source);
    return links;
  }
  return Fail(std::move(links), "fail:bad-signature", last_error);
}

ChainVerdict EvaluateChainAt(const ChainLinks& links, VekKind kind, UnixTime now) {
  if (!links.failure.empty()) return {links.failure, links.failure_detail};
  static constexpr const char* kVcekRoles[] = {"vcek", "ask", "ark"};
  static constexpr const char* kVlekRoles[] = {"vlek", "asvk", "ark"};
  const char* const* roles = kind == VekKind::kVcek ? kVcekRoles : kVlekRoles;
  for (size_t i = 0; i < links.windows.size() && i < 3; ++i) {
    const ValidityWindow& w = links.windows[i];
    if (!w.readable) {
      return {absl::StrCat("fail:", roles[i], "-validity-unreadable"),
              absl::StrCat("'", w.subject, "' has validity dates that cannot be read")};
    }
    if (now < w.not_before) {
      return {absl::StrCat("fail:", roles[i], "-not-yet-valid"),
              absl::StrCat("'", w.subject, "' is valid from ", FormatRfc3339(w.not_before),
                           ", verification time is ", FormatRfc3339(now))};
    }
    if (now > w.not_after) {
      return {absl::StrCat("fail:", roles[i], "-expired"),
              absl::StrCat("'", w.subject, "' expired at ", FormatRfc3339(w.not_after),
                           ", verification time is ", FormatRfc3339(now))};
    }
  }
  return {"ok", ""};
}

}  // namespace pv::attest::snp
