#include "attest/common/signature_util.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "attest/common/cert_util.h"
#include "attest/common/openssl_ptr.h"

namespace pv::attest {
namespace {

// Reads one DER TLV header at `pos`; returns the header length and sets *content_len.
bool ReadTlvHeader(ByteSpan der, size_t pos, uint8_t expected_tag, size_t* header_len,
                   size_t* content_len) {
  if (pos + 2 > der.size() || der[pos] != expected_tag) return false;
  const uint8_t first = der[pos + 1];
  size_t len = 0, hdr = 2;
  if (first < 0x80) {
    len = first;
  } else {
    const size_t n = first & 0x7f;
    if (n == 0 || n > 4 || pos + 2 + n > der.size()) return false;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | der[pos + 2 + i];
    hdr += n;
  }
  if (pos + hdr + len > der.size()) return false;
  *header_len = hdr;
  *content_len = len;
  return true;
}

struct RsaPssParamsDeleter {
  void operator()(RSA_PSS_PARAMS* p) const { RSA_PSS_PARAMS_free(p); }
};
struct X509AlgorDeleter {
  void operator()(X509_ALGOR* p) const { X509_ALGOR_free(p); }
};

// Half the group orders (n >> 1), big-endian.
constexpr uint8_t kP256HalfOrder[32] = {
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8};
constexpr uint8_t kP384HalfOrder[48] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xe3, 0xb1, 0xa6, 0xc0, 0xfa, 0x1b, 0x96, 0xef,
    0xac, 0x0d, 0x06, 0xd9, 0x24, 0x58, 0x53, 0xbd, 0x76, 0x76, 0x0c, 0xb5, 0x66, 0x62, 0x94, 0xb9};

}  // namespace

bool IsLowS(ByteSpan s, absl::string_view curve) {
  ByteSpan half;
  if (curve == "prime256v1") {
    half = ByteSpan(kP256HalfOrder, sizeof(kP256HalfOrder));
  } else if (curve == "secp384r1") {
    half = ByteSpan(kP384HalfOrder, sizeof(kP384HalfOrder));
  } else {
    return false;
  }
  size_t skip = 0;
  while (skip < s.size() && s[skip] == 0) ++skip;
  s = s.subspan(skip);
  if (s.size() != half.size()) return s.size() < half.size();
  return !std::lexicographical_compare(half.begin(), half.end(), s.begin(), s.end());
}

absl::StatusOr<CertSignedParts> SplitCertificate(ByteSpan der) {
  constexpr uint8_t kSequence = 0x30, kBitString = 0x03;
  size_t hdr, len;
  if (!ReadTlvHeader(der, 0, kSequence, &hdr, &len) || hdr + len != der.size()) {
    return absl::InvalidArgumentError("certificate: outer SEQUENCE malformed");
  }
  size_t pos = hdr;
  size_t tbs_hdr, tbs_len;
  if (!ReadTlvHeader(der, pos, kSequence, &tbs_hdr, &tbs_len)) {
    return absl::InvalidArgumentError("certificate: tbsCertificate malformed");
  }
  CertSignedParts parts;
  parts.tbs = der.subspan(pos, tbs_hdr + tbs_len);
  pos += tbs_hdr + tbs_len;
  size_t alg_hdr, alg_len;
  if (!ReadTlvHeader(der, pos, kSequence, &alg_hdr, &alg_len)) {
    return absl::InvalidArgumentError("certificate: signatureAlgorithm malformed");
  }
  pos += alg_hdr + alg_len;
  size_t sig_hdr, sig_len;
  if (!ReadTlvHeader(der, pos, kBitString, &sig_hdr, &sig_len) || sig_len < 1 ||
      der[pos + sig_hdr] != 0 || pos + sig_hdr + sig_len != der.size()) {
    return absl::InvalidArgumentError("certificate: signatureValue malformed");
  }
  parts.signature = der.subspan(pos + sig_hdr + 1, sig_len - 1);
  return parts;
}

absl::Status CheckRsaPssSha384Profile(const X509* cert) {
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, cert);
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, alg);
  if (OBJ_obj2nid(obj) != NID_rsassaPss) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signature algorithm is ", OBJ_nid2ln(OBJ_obj2nid(obj)), ", expected RSASSA-PSS"));
  }
  if (ptype != V_ASN1_SEQUENCE || pval == nullptr) {
    return absl::InvalidArgumentError("RSASSA-PSS parameters are missing");
  }
  const ASN1_STRING* seq = static_cast<const ASN1_STRING*>(pval);
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  std::unique_ptr<RSA_PSS_PARAMS, RsaPssParamsDeleter> params(
      d2i_RSA_PSS_PARAMS(nullptr, &p, ASN1_STRING_length(seq)));
  if (!params) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError("RSASSA-PSS parameters do not decode");
  }
  const int hash = params->hashAlgorithm ? OBJ_obj2nid(params->hashAlgorithm->algorithm) : NID_sha1;
  if (hash != NID_sha384) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSASSA-PSS hash is ", OBJ_nid2sn(hash), ", expected SHA384"));
  }
  int mgf_hash = NID_sha1;
  if (params->maskGenAlgorithm != nullptr) {
    if (OBJ_obj2nid(params->maskGenAlgorithm->algorithm) != NID_mgf1) {
      return absl::InvalidArgumentError("RSASSA-PSS mask generation is not MGF1");
    }
    const ASN1_TYPE* mgf_param = params->maskGenAlgorithm->parameter;
    if (mgf_param == nullptr || mgf_param->type != V_ASN1_SEQUENCE) {
      return absl::InvalidArgumentError("RSASSA-PSS MGF1 hash is missing");
    }
    const unsigned char* q = ASN1_STRING_get0_data(mgf_param->value.sequence);
    std::unique_ptr<X509_ALGOR, X509AlgorDeleter> mgf_alg(
        d2i_X509_ALGOR(nullptr, &q, ASN1_STRING_length(mgf_param->value.sequence)));
    if (!mgf_alg) {
      DrainOpenSslErrors();
      return absl::InvalidArgumentError("RSASSA-PSS MGF1 hash does not decode");
    }
    mgf_hash = OBJ_obj2nid(mgf_alg->algorithm);
  }
  if (mgf_hash != NID_sha384) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSASSA-PSS MGF1 hash is ", OBJ_nid2sn(mgf_hash), ", expected SHA384"));
  }
  const long salt = params->saltLength ? ASN1_INTEGER_get(params->saltLength) : 20;
  if (salt != 48) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSASSA-PSS salt length is ", salt, ", expected 48"));
  }
  if (params->trailerField != nullptr && ASN1_INTEGER_get(params->trailerField) != 1) {
    return absl::InvalidArgumentError("RSASSA-PSS trailer field is not 1");
  }
  return absl::OkStatus();
}

bool VerifyRsaPssSha384(EVP_PKEY* key, ByteSpan data, ByteSpan signature) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha384(), nullptr, key) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1 &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1 &&
            EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(),
                             data.size()) == 1;
  DrainOpenSslErrors();
  return ok;
}

bool VerifyEcdsaDer(EVP_PKEY* key, const EVP_MD* md, ByteSpan data, ByteSpan der_signature) {
  // Hash, then verify the digest: cheaper than EVP_DigestVerifyInit, which sets up a digest
  // context and a signature context per call.
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &digest_len, md, nullptr) != 1) {
    DrainOpenSslErrors();
    return false;
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  const bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
                  EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1 &&
                  EVP_PKEY_verify(ctx.get(), der_signature.data(), der_signature.size(), digest,
                                  digest_len) == 1;
  if (!ok) DrainOpenSslErrors();
  return ok;
}

absl::StatusOr<Bytes> EcdsaSignatureToDer(ByteSpan r_be, ByteSpan s_be) {
  BignumPtr r(BN_bin2bn(r_be.data(), static_cast<int>(r_be.size()), nullptr));
  BignumPtr s(BN_bin2bn(s_be.data(), static_cast<int>(s_be.size()), nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return absl::InternalError("cannot build ECDSA_SIG");
  }
  (void)r.release();  // now owned by sig
  (void)s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return absl::InternalError("i2d_ECDSA_SIG failed");
  Bytes der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

absl::StatusOr<Bytes> EcdsaLittleEndianSignatureToDer(ByteSpan r_le, ByteSpan s_le) {
  Bytes r(r_le.rbegin(), r_le.rend());
  Bytes s(s_le.rbegin(), s_le.rend());
  return EcdsaSignatureToDer(r, s);
}

bool IsEcKeyOnCurve(EVP_PKEY* key, absl::string_view group_name) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  char name[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) !=
      1) {
    DrainOpenSslErrors();
    return false;
  }
  return absl::string_view(name, len) == group_name;
}

bool IsRsaKey(EVP_PKEY* key) {
  return key != nullptr && (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ||
                            EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS);
}

}  // namespace pv::attest
