#include "tests/attest/tdx/test_pki.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/openssl_util.h"

namespace pv::attest::tdx::testing_pki {
namespace {

// Test-fixture construction failing is a broken test environment, not a verifier result;
// abort loudly (tests are allowed exceptions-free aborts).
void Require(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "test PKI: %s failed: %s\n", what, DrainOpenSslErrors().c_str());
    abort();
  }
}

EvpPkeyPtr NewP256Key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  Require(key != nullptr, "EVP_EC_gen");
  return key;
}

// --- A minimal DER writer for the SGX extension -------------------------------------------
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
  std::string v("\x2a\x86\x48\x86\xf8\x4d\x01\x0d\x01", 9);
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
  body += Seq(SgxOid({1}) + Tlv(0x04, std::string(16, '\x11')));
  body += Seq(SgxOid({2}) + Seq(tcb_members));
  body += Seq(SgxOid({3}) + Tlv(0x04, tcb.pceid));
  body += Seq(SgxOid({4}) + Tlv(0x04, tcb.fmspc));
  body += Seq(SgxOid({5}) + Tlv(0x0a, std::string(1, '\0')));
  return Seq(body);
}

namespace {

// --- Certificates and CRLs ----------------------------------------------------------------
X509_NAME* MakeName(const std::string& cn) {
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("PV Test PKI"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("US"),
                             -1, -1, 0);
  return name;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Require(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509Ptr MakeCert(const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, EVP_PKEY* key,
                 long serial, bool is_ca, time_t not_after, const std::string& sgx_ext = "") {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_NAME* subject = MakeName(cn);
  X509_set_subject_name(cert.get(), subject);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject);
  X509_NAME_free(subject);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), 1577836800);  // 2020-01-01
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), not_after);
  X509_set_pubkey(cert.get(), key);
  X509* iss = issuer ? issuer : cert.get();
  AddExt(cert.get(), iss, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  AddExt(cert.get(), iss, NID_key_usage,
         is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
  AddExt(cert.get(), iss, NID_subject_key_identifier, "hash");
  if (issuer) AddExt(cert.get(), iss, NID_authority_key_identifier, "keyid");
  if (!sgx_ext.empty()) {
    ASN1_OBJECT* obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(sgx_ext.data()),
                          static_cast<int>(sgx_ext.size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, data);
    Require(ext != nullptr, "X509_EXTENSION_create_by_OBJ");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(obj);
  }
  Require(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string Pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, len);
}

std::string MakeCrl(X509* issuer, EVP_PKEY* issuer_key, X509* revoked_cert, time_t this_update,
                    time_t next_update) {
  using X509CrlOwned = X509CrlPtr;
  X509CrlOwned crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer));
  ASN1_TIME* t = ASN1_TIME_set(nullptr, this_update);
  X509_CRL_set1_lastUpdate(crl.get(), t);
  ASN1_TIME_set(t, next_update);
  X509_CRL_set1_nextUpdate(crl.get(), t);
  ASN1_TIME_free(t);
  if (revoked_cert != nullptr) {
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked_cert));
    ASN1_TIME* when = ASN1_TIME_set(nullptr, kCollateralIssue);
    X509_REVOKED_set_revocationDate(r, when);
    ASN1_TIME_free(when);
    X509_CRL_add0_revoked(crl.get(), r);
  }
  X509_CRL_sort(crl.get());
  Require(X509_CRL_sign(crl.get(), issuer_key, EVP_sha256()) > 0, "X509_CRL_sign");
  return DerOf(crl.get());
}

// ECDSA-P256/SHA-256 signature as raw r||s.
std::string SignRaw(EVP_PKEY* key, const std::string& data) {
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  Require(EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) == 1, "SignInit");
  size_t len = 0;
  Require(EVP_DigestSign(md.get(), nullptr, &len,
                         reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1,
          "DigestSign size");
  std::string der(len, '\0');
  Require(EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                         reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1,
          "DigestSign");
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  Require(sig != nullptr, "d2i_ECDSA_SIG");
  unsigned char rs[64];
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), rs, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), rs + 32, 32);
  return std::string(reinterpret_cast<char*>(rs), 64);
}

std::string PublicXY(EVP_PKEY* key) {
  unsigned char buf[65];
  size_t len = 0;
  Require(
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len) == 1 &&
          len == 65,
      "get public key");
  return std::string(reinterpret_cast<char*>(buf) + 1, 64);
}

void PutLe16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8));
}
void PutLe32(std::string& s, uint32_t v) {
  PutLe16(s, static_cast<uint16_t>(v & 0xffff));
  PutLe16(s, static_cast<uint16_t>(v >> 16));
}

std::string IsoTime(time_t t) {
  return FormatUnixTime(t);
}

std::string QeMrSigner() {
  return std::string(32, '\x3c');
}

}  // namespace

std::string QeMrSignerHex() {
  return HexEncode(QeMrSigner());
}

TestPki::TestPki(const PckTcb& tcb, time_t leaf_not_after) : tcb_(tcb) {
  root_key_ = NewP256Key();
  ca_key_ = NewP256Key();
  leaf_key_ = NewP256Key();
  tcb_key_ = NewP256Key();
  constexpr time_t k2040 = 2208988800;
  root_ =
      MakeCert("PV Test SGX Root CA", nullptr, root_key_.get(), root_key_.get(), 1, true, k2040);
  ca_ = MakeCert("Intel SGX PCK Platform CA", root_.get(), root_key_.get(), ca_key_.get(), 2, true,
                 k2040);
  leaf_ = MakeCert("Intel SGX PCK Certificate", ca_.get(), ca_key_.get(), leaf_key_.get(), 0x1234,
                   false, leaf_not_after, SgxExtensionDer(tcb));
  tcb_signer_ = MakeCert("Intel SGX TCB Signing", root_.get(), root_key_.get(), tcb_key_.get(), 3,
                         false, k2040);
}

std::string TestPki::RootPem() const {
  return Pem(root_.get());
}
std::string TestPki::PckChainPem() const {
  return Pem(leaf_.get()) + Pem(ca_.get()) + Pem(root_.get());
}
std::string TestPki::TcbSigningChainPem() const {
  return Pem(tcb_signer_.get()) + Pem(root_.get());
}
std::string TestPki::PckCrlDer(bool revoke_pck, time_t this_update, time_t next_update) const {
  return MakeCrl(ca_.get(), ca_key_.get(), revoke_pck ? leaf_.get() : nullptr, this_update,
                 next_update);
}
std::string TestPki::RootCrlDer(bool revoke_pck_ca, time_t this_update, time_t next_update) const {
  return MakeCrl(root_.get(), root_key_.get(), revoke_pck_ca ? ca_.get() : nullptr, this_update,
                 next_update);
}

std::string TestPki::MakeQuote(const QuoteSpec& spec) const {
  std::string header;
  PutLe16(header, static_cast<uint16_t>(spec.version));
  PutLe16(header, 2);     // ECDSA-P256
  PutLe32(header, 0x81);  // TDX
  PutLe16(header, 0);     // reserved / QE SVN
  PutLe16(header, tcb_.pcesvn);
  header += std::string("\x93\x9a\x72\x33\xf7\x9c\x4c\xa9\x94\x0a\x0d\xb3\x95\x7f\x06\x07", 16);
  header += std::string(20, '\0');  // user data

  const size_t body_size = spec.body_type == 3 ? 648 : 584;
  std::string body(body_size, '\0');
  for (size_t i = 0; i < 16; ++i) body[i] = static_cast<char>(spec.tee_tcb_svn[i]);
  for (size_t i = 16; i < 64; ++i) body[i] = static_cast<char>(0xa0 + (i & 0xf));  // MRSEAM
  body[120] = static_cast<char>(spec.td_attributes0);
  body[128] = static_cast<char>(0xe7);  // XFAM
  body[129] = static_cast<char>(0x02);
  body[130] = static_cast<char>(0x06);
  for (size_t i = 136; i < 584; ++i) body[i] = static_cast<char>(i * 7);  // MRTD .. REPORT_DATA
  if (body_size == 648) {
    for (size_t i = 0; i < 16; ++i) body[584 + i] = static_cast<char>(spec.tee_tcb_svn[i]);
  }
  if (spec.mr_td.size() == 48) body.replace(136, 48, spec.mr_td);
  if (spec.report_data.size() == 64) body.replace(520, 64, spec.report_data);

  std::string signed_data = header;
  if (spec.version == 5) {
    PutLe16(signed_data, static_cast<uint16_t>(spec.body_type));
    PutLe32(signed_data, static_cast<uint32_t>(body_size));
  }
  signed_data += body;

  EvpPkeyPtr ak = NewP256Key();
  const std::string ak_xy = PublicXY(ak.get());

  std::string qe_report(384, '\0');
  for (size_t i = 0; i < 16; ++i) qe_report[i] = static_cast<char>(tcb_.components[i]);
  qe_report[48] = 0x11;  // ATTRIBUTES: INIT | MODE64BIT
  for (size_t i = 64; i < 96; ++i) qe_report[i] = static_cast<char>(0x40 + i);  // MRENCLAVE
  const std::string mrsigner = QeMrSigner();
  std::copy(mrsigner.begin(), mrsigner.end(), qe_report.begin() + 128);
  qe_report[256] = static_cast<char>(spec.qe_isvprodid & 0xff);
  qe_report[257] = static_cast<char>(spec.qe_isvprodid >> 8);
  qe_report[258] = static_cast<char>(spec.qe_isvsvn & 0xff);
  qe_report[259] = static_cast<char>(spec.qe_isvsvn >> 8);
  const std::string binding = Sha256String(ak_xy + spec.qe_auth_data);
  std::copy(binding.begin(), binding.end(), qe_report.begin() + 320);
  if (spec.corrupt_binding_padding) qe_report[383] = 1;

  std::string cert_data = qe_report + SignRaw(leaf_key_.get(), qe_report);
  PutLe16(cert_data, static_cast<uint16_t>(spec.qe_auth_data.size()));
  cert_data += spec.qe_auth_data;
  const std::string chain = PckChainPem();
  PutLe16(cert_data, 5);
  PutLe32(cert_data, static_cast<uint32_t>(chain.size()));
  cert_data += chain;

  std::string sig_data = SignRaw(ak.get(), signed_data) + ak_xy;
  PutLe16(sig_data, 6);
  PutLe32(sig_data, static_cast<uint32_t>(cert_data.size()));
  sig_data += cert_data;

  std::string quote = signed_data;
  PutLe32(quote, static_cast<uint32_t>(sig_data.size()));
  return quote + sig_data;
}

std::string TestPki::TcbSignHex(const std::string& data) const {
  return HexEncode(SignRaw(tcb_key_.get(), data));
}
std::string TestPki::SignTcbInfo(const std::string& body) const {
  return absl::StrCat("{\"tcbInfo\":", body, ",\"signature\":\"", TcbSignHex(body), "\"}");
}
std::string TestPki::SignQeIdentity(const std::string& body) const {
  return absl::StrCat("{\"enclaveIdentity\":", body, ",\"signature\":\"", TcbSignHex(body), "\"}");
}

std::string PlatformLevel(const std::array<uint8_t, 16>& sgx, int pcesvn,
                          const std::array<uint8_t, 16>& tdx, const std::string& status,
                          const std::vector<std::string>& advisories) {
  auto comps = [](const std::array<uint8_t, 16>& c) {
    std::vector<std::string> parts;
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

std::string TcbInfoBody(const std::string& fmspc_hex, const std::string& levels_json,
                        const std::string& module_identities_json, time_t issue, time_t next) {
  std::string modules;
  if (!module_identities_json.empty()) {
    modules = absl::StrCat(",\"tdxModuleIdentities\":", module_identities_json);
  }
  return absl::StrCat("{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"", IsoTime(issue),
                      "\",\"nextUpdate\":\"", IsoTime(next), "\",\"fmspc\":\"", fmspc_hex,
                      "\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17,"
                      "\"tdxModule\":{\"mrsigner\":\"",
                      std::string(96, '0'),
                      "\",\"attributes\":\"0000000000000000\",\"attributesMask\":"
                      "\"FFFFFFFFFFFFFFFF\"}",
                      modules, ",\"tcbLevels\":[", levels_json, "]}");
}

std::string QeIdentityBody(const std::vector<std::pair<int, std::string>>& levels,
                           const std::string& mrsigner_hex, time_t issue, time_t next) {
  std::vector<std::string> parts;
  for (const auto& [svn, status] : levels) {
    parts.push_back(absl::StrCat("{\"tcb\":{\"isvsvn\":", svn,
                                 "},\"tcbDate\":\"2025-06-01T00:00:00Z\",\"tcbStatus\":\"", status,
                                 "\"}"));
  }
  return absl::StrCat(
      "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"", IsoTime(issue), "\",\"nextUpdate\":\"",
      IsoTime(next),
      "\",\"tcbEvaluationDataNumber\":17,\"miscselect\":\"00000000\",\"miscselectMask\":"
      "\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\",\"attributesMask\":"
      "\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"",
      mrsigner_hex.empty() ? QeMrSignerHex() : mrsigner_hex, "\",\"isvprodid\":2,\"tcbLevels\":[",
      absl::StrJoin(parts, ","), "]}");
}

}  // namespace pv::attest::tdx::testing_pki
