#include "attest/simsp/intel_shaped_pki.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "attest/common/bytes.h"
#include "attest/common/cert_util.h"
#include "attest/common/time_util.h"

namespace pv::attest::simsp::intel {
namespace {

absl::Status OpenSslError(const char* what) {
  return absl::InternalError(absl::StrCat("Intel-shaped PKI: ", what, ": ", DrainOpenSslErrors()));
}

// --- A minimal DER writer for the SGX extension ---------------------------------------------
std::string Tlv(uint8_t tag, const std::string& value) {
  std::string out(1, static_cast<char>(tag));
  const size_t n = value.size();
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
  } else if (n < 0x100) {
    out += "\x81";
    out.push_back(static_cast<char>(n));
  } else {
    out += "\x82";
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  }
  return out + value;
}
std::string SgxOid(std::initializer_list<uint8_t> arcs) {
  std::string v("\x2a\x86\x48\x86\xf8\x4d\x01\x0d\x01", 9);  // 1.2.840.113741.1.13.1
  for (uint8_t a : arcs) v.push_back(static_cast<char>(a));
  return Tlv(0x06, v);
}
std::string DerInt(unsigned v) {
  std::string be;
  do {
    be.insert(be.begin(), static_cast<char>(v & 0xff));
    v >>= 8;
  } while (v);
  if (static_cast<uint8_t>(be[0]) & 0x80) be.insert(be.begin(), '\0');
  return Tlv(0x02, be);
}
std::string Seq(const std::string& body) {
  return Tlv(0x30, body);
}

void PutLe16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8));
}
void PutLe32(std::string& s, uint32_t v) {
  PutLe16(s, static_cast<uint16_t>(v & 0xffff));
  PutLe16(s, static_cast<uint16_t>(v >> 16));
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  const bool ok = ext != nullptr && X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok ? absl::OkStatus() : OpenSslError("add certificate extension");
}

std::string HexOf(std::string_view bytes) {
  return HexEncode(ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace

std::string SgxExtensionDer(const PckTcb& tcb) {
  std::string tcb_members;
  for (uint8_t i = 1; i <= 16; ++i) {
    tcb_members += Seq(SgxOid({2, i}) + DerInt(tcb.components[i - 1]));
  }
  tcb_members += Seq(SgxOid({2, 17}) + DerInt(tcb.pcesvn));
  tcb_members +=
      Seq(SgxOid({2, 18}) +
          Tlv(0x04, std::string(reinterpret_cast<const char*>(tcb.components.data()), 16)));
  std::string body;
  body += Seq(SgxOid({1}) + Tlv(0x04, std::string(16, '\x11')));  // PPID
  body += Seq(SgxOid({2}) + Seq(tcb_members));
  body += Seq(SgxOid({3}) + Tlv(0x04, tcb.pceid));
  body += Seq(SgxOid({4}) + Tlv(0x04, tcb.fmspc));
  body += Seq(SgxOid({5}) + Tlv(0x0a, std::string(1, '\0')));  // SGX type: standard
  return Seq(body);
}

absl::StatusOr<EvpPkeyPtr> NewP256Key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("P-256 key generation");
  return key;
}

absl::StatusOr<X509Ptr> IssueCertificate(const CertSpec& spec, X509* issuer, EVP_PKEY* issuer_key,
                                         EVP_PKEY* key) {
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, const std::string& value) {
    if (value.empty()) return;
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  };
  add("CN", spec.common_name);
  add("OU", spec.organizational_unit);
  add("O", spec.organization);
  add("C", "US");
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), spec.not_before);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), spec.not_after);
  X509_set_pubkey(cert.get(), key);
  X509* signer = issuer ? issuer : cert.get();
  absl::Status s = AddExtension(cert.get(), signer, NID_basic_constraints,
                                spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (s.ok()) {
    s = AddExtension(
        cert.get(), signer, NID_key_usage,
        spec.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
  }
  if (s.ok()) s = AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (s.ok() && issuer) s = AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid");
  if (!s.ok()) return s;
  if (!spec.sgx_extension.empty()) {
    ASN1_OBJECT* obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(spec.sgx_extension.data()),
                          static_cast<int>(spec.sgx_extension.size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, data);
    const bool ok = ext != nullptr && X509_add_ext(cert.get(), ext, -1) == 1;
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(obj);
    if (!ok) return OpenSslError("add SGX extension");
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return OpenSslError("sign certificate");
  return cert;
}

absl::StatusOr<std::string> CrlDer(X509* issuer, EVP_PKEY* issuer_key, X509* revoked,
                                   time_t this_update, time_t next_update) {
  X509CrlPtr crl(X509_CRL_new());
  if (crl == nullptr) return OpenSslError("X509_CRL_new");
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer));
  ASN1_TIME* t = ASN1_TIME_set(nullptr, this_update);
  X509_CRL_set1_lastUpdate(crl.get(), t);
  ASN1_TIME_set(t, next_update);
  X509_CRL_set1_nextUpdate(crl.get(), t);
  ASN1_TIME_free(t);
  if (revoked != nullptr) {
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked));
    ASN1_TIME* when = ASN1_TIME_set(nullptr, this_update);
    X509_REVOKED_set_revocationDate(r, when);
    ASN1_TIME_free(when);
    X509_CRL_add0_revoked(crl.get(), r);
  }
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), issuer_key, EVP_sha256()) <= 0) return OpenSslError("sign CRL");
  unsigned char* der = nullptr;
  const int len = i2d_X509_CRL(crl.get(), &der);
  if (len <= 0) return OpenSslError("encode CRL");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string CertificatePem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encode private key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) return OpenSslError("read private key");
  return key;
}

absl::StatusOr<std::string> SignP256Raw(EVP_PKEY* key, std::string_view data) {
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t len = 0;
  if (md == nullptr || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, in, data.size()) != 1) {
    return OpenSslError("ECDSA sign");
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()), &len, in,
                     data.size()) != 1) {
    return OpenSslError("ECDSA sign");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (sig == nullptr) return OpenSslError("decode ECDSA signature");
  // Low-S form (s <= n/2), which a policy may require (`require_low_s`); both verify.
  BignumPtr order(BN_new()), s(BN_dup(ECDSA_SIG_get0_s(sig.get())));
  BIGNUM* n = order.get();
  if (s == nullptr ||
      BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551") == 0) {
    return OpenSslError("P-256 order");
  }
  BignumPtr half(BN_dup(order.get()));
  if (half == nullptr || BN_rshift1(half.get(), half.get()) != 1) return OpenSslError("BN");
  if (BN_cmp(s.get(), half.get()) > 0 && BN_sub(s.get(), order.get(), s.get()) != 1) {
    return OpenSslError("BN_sub");
  }
  unsigned char rs[64];
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), rs, 32);
  BN_bn2binpad(s.get(), rs + 32, 32);
  return std::string(reinterpret_cast<char*>(rs), sizeof(rs));
}

absl::StatusOr<std::string> P256PublicXY(EVP_PKEY* key) {
  unsigned char buf[65];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len) != 1 ||
      len != 65 || buf[0] != 0x04) {
    return OpenSslError("P-256 public point");
  }
  return std::string(reinterpret_cast<char*>(buf) + 1, 64);
}

std::string QuoteHeader(uint16_t version, uint16_t qe_svn, uint16_t pce_svn,
                        std::string_view user_data) {
  std::string header;
  PutLe16(header, version);
  PutLe16(header, 2);     // attestation key type: ECDSA-P256
  PutLe32(header, 0x81);  // TEE type: TDX
  PutLe16(header, qe_svn);
  PutLe16(header, pce_svn);
  header.append(kIntelQeVendorId, 16);
  std::string user(user_data.substr(0, 20));
  user.resize(20, '\0');
  return header + user;
}

std::string QeReport(const QeReportFields& f, std::string_view ak_xy,
                     std::string_view qe_auth_data) {
  // SGX REPORT_BODY: CPUSVN 0, MISCSELECT 16, ATTRIBUTES 48, MRENCLAVE 64, MRSIGNER 128,
  // ISVPRODID 256, ISVSVN 258, REPORT_DATA 320.
  std::string r(384, '\0');
  r.replace(0, 16, reinterpret_cast<const char*>(f.cpusvn.data()), 16);
  std::string misc;
  PutLe32(misc, f.miscselect);
  r.replace(16, 4, misc);
  r.replace(48, 16, reinterpret_cast<const char*>(f.attributes.data()), 16);
  r.replace(64, 32, f.mrenclave.substr(0, 32));
  r.replace(128, 32, f.mrsigner.substr(0, 32));
  std::string ids;
  PutLe16(ids, f.isvprodid);
  PutLe16(ids, f.isvsvn);
  r.replace(256, 4, ids);
  std::string bound(ak_xy);
  bound += qe_auth_data;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bound.data()), bound.size(), digest);
  r.replace(320, 32, reinterpret_cast<const char*>(digest), 32);
  return r;
}

absl::StatusOr<std::string> SignQuote(std::string signed_part, EVP_PKEY* ak, std::string_view ak_xy,
                                      const QeCertification& qe) {
  std::string cert_data = qe.qe_report + qe.qe_report_sig;
  PutLe16(cert_data, static_cast<uint16_t>(qe.qe_auth_data.size()));
  cert_data += qe.qe_auth_data;
  PutLe16(cert_data, 5);  // certification data type 5: PCK leaf, CA and root, PEM
  PutLe32(cert_data, static_cast<uint32_t>(qe.pck_chain_pem.size()));
  cert_data += qe.pck_chain_pem;

  absl::StatusOr<std::string> sig = SignP256Raw(ak, signed_part);
  if (!sig.ok()) return sig.status();
  std::string sig_data = *sig;
  sig_data += ak_xy;
  PutLe16(sig_data, 6);  // certification data type 6: QE report certification data
  PutLe32(sig_data, static_cast<uint32_t>(cert_data.size()));
  sig_data += cert_data;
  PutLe32(signed_part, static_cast<uint32_t>(sig_data.size()));
  return signed_part + sig_data;
}

std::string FormatIsoTime(time_t t) {
  return FormatRfc3339(static_cast<UnixTime>(t));
}

std::string PlatformLevel(const std::array<uint8_t, 16>& sgx, int pcesvn,
                          const std::array<uint8_t, 16>& tdx, const std::string& status,
                          const std::vector<std::string>& advisories) {
  auto comps = [](const std::array<uint8_t, 16>& c) {
    std::vector<std::string> parts;
    parts.reserve(c.size());
    for (uint8_t v : c) parts.push_back(absl::StrCat("{\"svn\":", v, "}"));
    return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
  };
  std::string adv;
  if (!advisories.empty()) {
    adv = absl::StrCat(",\"advisoryIDs\":[\"", absl::StrJoin(advisories, "\",\""), "\"]");
  }
  return absl::StrCat("{\"tcb\":{\"sgxtcbcomponents\":", comps(sgx), ",\"pcesvn\":", pcesvn,
                      ",\"tdxtcbcomponents\":", comps(tdx),
                      "},\"tcbDate\":\"2025-06-01T00:00:00Z\",\"tcbStatus\":\"", status, "\"", adv,
                      "}");
}

std::string TdxModuleIdentity(const std::string& id, const std::string& mrsigner_hex,
                              const std::vector<ModuleLevel>& levels) {
  std::vector<std::string> parts;
  for (const ModuleLevel& l : levels) {
    std::string adv;
    if (!l.advisories.empty()) {
      adv = absl::StrCat(",\"advisoryIDs\":[\"", absl::StrJoin(l.advisories, "\",\""), "\"]");
    }
    parts.push_back(absl::StrCat("{\"tcb\":{\"isvsvn\":", l.isvsvn, "},\"tcbDate\":\"", l.tcb_date,
                                 "\",\"tcbStatus\":\"", l.status, "\"", adv, "}"));
  }
  return absl::StrCat("{\"id\":\"", id, "\",\"mrsigner\":\"", mrsigner_hex,
                      "\",\"attributes\":\"0000000000000000\",\"attributesMask\":"
                      "\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[",
                      absl::StrJoin(parts, ","), "]}");
}

std::string TcbInfoBody(const TcbInfoFields& f) {
  std::string modules;
  if (!f.module_identities_json.empty()) {
    modules = absl::StrCat(",\"tdxModuleIdentities\":", f.module_identities_json);
  }
  return absl::StrCat("{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"", FormatIsoTime(f.issue),
                      "\",\"nextUpdate\":\"", FormatIsoTime(f.next_update), "\",\"fmspc\":\"",
                      f.fmspc_hex, "\",\"pceId\":\"", f.pceid_hex,
                      "\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17,"
                      "\"tdxModule\":{\"mrsigner\":\"",
                      f.module_mrsigner_hex,
                      "\",\"attributes\":\"0000000000000000\",\"attributesMask\":"
                      "\"FFFFFFFFFFFFFFFF\"}",
                      modules, ",\"tcbLevels\":[", f.levels_json, "]}");
}

std::string QeIdentityBody(const QeIdentityFields& f) {
  std::vector<std::string> parts;
  for (const auto& [svn, status] : f.levels) {
    parts.push_back(absl::StrCat("{\"tcb\":{\"isvsvn\":", svn,
                                 "},\"tcbDate\":\"2025-06-01T00:00:00Z\",\"tcbStatus\":\"", status,
                                 "\"}"));
  }
  return absl::StrCat(
      "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"", FormatIsoTime(f.issue),
      "\",\"nextUpdate\":\"", FormatIsoTime(f.next_update),
      "\",\"tcbEvaluationDataNumber\":17,\"miscselect\":\"00000000\",\"miscselectMask\":"
      "\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\",\"attributesMask\":"
      "\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"",
      f.mrsigner_hex, "\",\"isvprodid\":", f.isvprodid, ",\"tcbLevels\":[",
      absl::StrJoin(parts, ","), "]}");
}

absl::StatusOr<std::string> SignedCollateral(std::string_view member, const std::string& body,
                                             EVP_PKEY* tcb_signing_key) {
  absl::StatusOr<std::string> sig = SignP256Raw(tcb_signing_key, body);
  if (!sig.ok()) return sig.status();
  return absl::StrCat("{\"", std::string(member), "\":", body, ",\"signature\":\"", HexOf(*sig),
                      "\"}");
}

}  // namespace pv::attest::simsp::intel
