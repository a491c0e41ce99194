#include "attest/tdx/pck_chain.h"

#include <openssl/x509v3.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attest/tdx/openssl_util.h"
#include "attest/tdx/status_macros.h"

namespace pv::attest::tdx {
namespace {

absl::StatusOr<std::string> ExtensionDer(X509* cert) {
  ASN1_OBJECT* obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
  if (obj == nullptr) return absl::InternalError("OBJ_txt2obj failed");
  int idx = X509_get_ext_by_OBJ(cert, obj, -1);
  ASN1_OBJECT_free(obj);
  if (idx < 0) {
    return absl::InvalidArgumentError("PCK certificate has no SGX extension 1.2.840.113741.1.13.1");
  }
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     ASN1_STRING_length(data));
}

absl::Status CheckP256(EVP_PKEY* key) {
  char group[32] = {0};
  size_t len = 0;
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
      EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1 ||
      absl::string_view(group, len) != "prime256v1") {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(absl::StrCat("PCK leaf key is not EC P-256 (group \"",
                                                   absl::string_view(group, len), "\")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PckExtensions> ParsePckCertificateExtensions(X509* cert) {
  PV_TDX_ASSIGN_OR_RETURN(std::string der, ExtensionDer(cert));
  return ParsePckExtensionsDer(der);
}

bool IsSelfSigned(X509* cert) {
  return X509_check_issued(cert, cert) == X509_V_OK;
}

absl::StatusOr<std::shared_ptr<const PckChain>> ParsePckChain(absl::string_view data) {
  auto chain = std::make_shared<PckChain>();
  PV_TDX_ASSIGN_OR_RETURN(chain->certs, ParseCertificateBundle(data, kMaxChainCerts, "PCK chain"));
  if (chain->certs.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat("PCK chain has ", chain->certs.size(),
                                                   " certificate(s), expected leaf and PCK CA"));
  }
  for (const auto& c : chain->certs) {
    bool issues_another = false;
    for (const auto& other : chain->certs) {
      if (other != c && X509_check_issued(c.get(), other.get()) == X509_V_OK) issues_another = true;
    }
    if (!issues_another && !IsSelfSigned(c.get())) {
      chain->leaf = c.get();
      break;
    }
  }
  if (chain->leaf == nullptr) chain->leaf = chain->certs[0].get();
  for (const auto& c : chain->certs) {
    if (c.get() != chain->leaf && X509_check_issued(c.get(), chain->leaf) == X509_V_OK) {
      chain->issuer = c.get();
    }
  }
  if (chain->issuer == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("PCK chain has no issuer for \"", SubjectCn(chain->leaf), "\" (issuer \"",
                     CommonName(X509_get_issuer_name(chain->leaf)), "\")"));
  }
  for (const auto& c : chain->certs) {
    if (c.get() != chain->leaf && c.get() != chain->issuer &&
        X509_check_issued(c.get(), chain->issuer) == X509_V_OK) {
      chain->embedded_root = c.get();
    }
  }
  // A self-signed certificate that did not issue the CA (a replaced root) is still the root
  // the quote carries: it is then judged, and refused, as not the trusted one.
  for (const auto& c : chain->certs) {
    if (chain->embedded_root == nullptr && c.get() != chain->leaf && c.get() != chain->issuer &&
        IsSelfSigned(c.get())) {
      chain->embedded_root = c.get();
    }
  }
  EvpPkeyPtr leaf_key(X509_get_pubkey(chain->leaf));
  PV_TDX_RETURN_IF_ERROR(CheckP256(leaf_key.get()));
  chain->leaf_key = std::make_unique<P256Verifier>(std::move(leaf_key));
  chain->extensions = ParsePckCertificateExtensions(chain->leaf);
  chain->serial_hex = SerialHex(X509_get0_serialNumber(chain->leaf));
  const std::string issuer_cn = CommonName(X509_get_issuer_name(chain->leaf));
  if (issuer_cn == kPlatformCaCn) chain->ca = "platform";
  if (issuer_cn == kProcessorCaCn) chain->ca = "processor";
  return std::shared_ptr<const PckChain>(std::move(chain));
}

}  // namespace pv::attest::tdx
