#include "attest/snp/amd_crl.h"

#include <openssl/objects.h>
#include <openssl/pem.h>

#include <ctime>

#include "absl/strings/str_cat.h"
#include "attest/common/cert_util.h"
#include "attest/common/openssl_ptr.h"

namespace pv::attest::snp {
namespace {

bool ToUnix(const ASN1_TIME* t, UnixTime* out) {
  std::tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return false;
  *out = static_cast<UnixTime>(timegm(&tm));
  return true;
}

std::string SerialHex(const X509* cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) return "?";
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex ? hex : "?";
  OPENSSL_free(hex);
  return out;
}

}  // namespace

CrlVerdict CheckAmdCrl(ByteSpan data, const X509* ark, const X509* intermediate, UnixTime now) {
  if (ark == nullptr || intermediate == nullptr) {
    return {"fail:no-verified-chain", "the CRL can only be checked against a verified chain"};
  }
  if (data.empty() || data.size() > static_cast<size_t>(INT32_MAX)) {
    return {"fail:malformed", "the CRL is empty or too large"};
  }
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  X509_CRL* raw = LooksLikePem(data) ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)
                                     : d2i_X509_CRL_bio(bio.get(), nullptr);
  if (raw == nullptr) return {"fail:malformed", "not a DER or PEM CRL: " + DrainOpenSslErrors()};
  X509CrlPtr crl(raw);
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ark)) != 0) {
    const X509_NAME* seen = X509_CRL_get_issuer(crl.get());
    return {"fail:wrong-issuer",
            absl::StrCat("CRL issuer '", DistinguishedName(seen), "' is not the ARK '",
                         SubjectName(ark), "' (it ",
                         NameDifference(seen, X509_get_subject_name(ark)), ")")};
  }
  const X509_ALGOR* alg = nullptr;
  X509_CRL_get0_signature(crl.get(), nullptr, &alg);
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  if (OBJ_obj2nid(obj) != NID_rsassaPss) {
    return {"fail:bad-signature", "the CRL is not signed with RSASSA-PSS"};
  }
  if (X509_CRL_verify(crl.get(), X509_get0_pubkey(ark)) != 1) {
    return {"fail:bad-signature",
            absl::StrCat("CRL signature does not verify with the ARK key: ", DrainOpenSslErrors())};
  }
  UnixTime this_update = 0, next_update = 0;
  if (!ToUnix(X509_CRL_get0_lastUpdate(crl.get()), &this_update)) {
    return {"fail:malformed", "CRL thisUpdate unreadable"};
  }
  if (now < this_update) {
    return {"fail:not-yet-valid", absl::StrCat("CRL thisUpdate is ", FormatRfc3339(this_update),
                                               ", verification time is ", FormatRfc3339(now))};
  }
  if (X509_CRL_get0_nextUpdate(crl.get()) != nullptr) {
    if (!ToUnix(X509_CRL_get0_nextUpdate(crl.get()), &next_update)) {
      return {"fail:malformed", "CRL nextUpdate unreadable"};
    }
    if (now > next_update) {
      return {"fail:expired", absl::StrCat("CRL nextUpdate was ", FormatRfc3339(next_update),
                                           ", verification time is ", FormatRfc3339(now))};
    }
  }
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_cert(crl.get(), &entry, const_cast<X509*>(intermediate)) == 1) {
    return {"fail:revoked", absl::StrCat("'", SubjectName(intermediate), "' (serial ",
                                         SerialHex(intermediate), ") is revoked by the ARK's CRL")};
  }
  DrainOpenSslErrors();
  return {"ok,not-revoked", ""};
}

}  // namespace pv::attest::snp
