#include "tests/attest/snp/amd_test_pki.h"

#include "attest/simsp/der_values.h"

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>

namespace pv::attest::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::cerr << "amd_test_pki: " << what << "\n";
  std::abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Die(what);
}

void SetName(X509_NAME* name, const std::string& cn) {
  X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Engineering"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Test Micro Devices"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
}

EVP_PKEY* CachedKey(const std::string& label, bool rsa) {
  static std::map<std::string, EvpPkeyPtr>* keys = new std::map<std::string, EvpPkeyPtr>();
  auto it = keys->find(label);
  if (it != keys->end()) return it->second.get();
  EvpPkeyPtr key = rsa ? GenerateRsaKey(2048) : GenerateEcKey(label.c_str() + label.find(':') + 1);
  EVP_PKEY* raw = key.get();
  keys->emplace(label, std::move(key));
  return raw;
}

EvpPkeyPtr UpRef(EVP_PKEY* key) {
  EVP_PKEY_up_ref(key);
  return EvpPkeyPtr(key);
}

}  // namespace

EvpPkeyPtr GenerateRsaKey(int bits) {
  EvpPkeyPtr key(EVP_RSA_gen(static_cast<unsigned>(bits)));
  Check(key != nullptr, "RSA keygen");
  return key;
}

EvpPkeyPtr GenerateEcKey(const char* group) {
  EvpPkeyPtr key(EVP_EC_gen(group));
  Check(key != nullptr, "EC keygen");
  return key;
}

// One DER encoder for AMD's extension values, shared with the simulated AMD-SP.
Bytes DerInteger(int64_t value) {
  return simsp::DerInteger(value);
}

Bytes DerIa5String(const std::string& value) {
  return simsp::DerIa5String(value);
}

X509Ptr IssueCertificate(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                         EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  Check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(spec.not_after));
  SetName(X509_get_subject_name(cert.get()), spec.common_name);
  X509_set_issuer_name(cert.get(),
                       issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), subject_key);
  for (const auto& [oid, value] : spec.extensions) {
    ASN1_OBJECT* obj = OBJ_txt2obj(oid.c_str(), 1);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, value.data(), static_cast<int>(value.size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, data);
    Check(ext != nullptr, "X509_EXTENSION_create_by_OBJ");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(obj);
  }
  const EVP_MD* md = spec.pss_md ? spec.pss_md : EVP_sha384();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  Check(EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, issuer_key) == 1, "DigestSignInit");
  Check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1, "pss padding");
  Check(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1, "mgf1");
  Check(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, spec.pss_salt) == 1, "salt");
  Check(X509_sign_ctx(cert.get(), ctx.get()) > 0, "X509_sign_ctx");
  return cert;
}

X509CrlPtr IssueCrl(const X509* issuer, EVP_PKEY* issuer_key,
                    const std::vector<long>& revoked_serials, UnixTime this_update,
                    UnixTime next_update) {
  X509CrlPtr crl(X509_CRL_new());
  Check(crl != nullptr, "X509_CRL_new");
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer));
  ASN1_TIME* last = ASN1_TIME_set(nullptr, static_cast<time_t>(this_update));
  ASN1_TIME* next = ASN1_TIME_set(nullptr, static_cast<time_t>(next_update));
  X509_CRL_set1_lastUpdate(crl.get(), last);
  X509_CRL_set1_nextUpdate(crl.get(), next);
  for (long serial : revoked_serials) {
    X509_REVOKED* rev = X509_REVOKED_new();
    ASN1_INTEGER* sn = ASN1_INTEGER_new();
    ASN1_INTEGER_set(sn, serial);
    X509_REVOKED_set_serialNumber(rev, sn);
    X509_REVOKED_set_revocationDate(rev, last);
    X509_CRL_add0_revoked(crl.get(), rev);
    ASN1_INTEGER_free(sn);
  }
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  X509_CRL_sort(crl.get());
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  Check(EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha384(), nullptr, issuer_key) == 1, "crl init");
  Check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1, "crl pss");
  Check(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1, "crl mgf1");
  Check(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1, "crl salt");
  Check(X509_CRL_sign_ctx(crl.get(), ctx.get()) > 0, "X509_CRL_sign_ctx");
  return crl;
}

Bytes CrlToDer(const X509_CRL* crl) {
  unsigned char* out = nullptr;
  const int len = i2d_X509_CRL(const_cast<X509_CRL*>(crl), &out);
  Bytes der(out, out + len);
  OPENSSL_free(out);
  return der;
}

std::string CertToPem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), const_cast<X509*>(cert));
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Bytes CertToDer(const X509* cert) {
  unsigned char* out = nullptr;
  const int len = i2d_X509(const_cast<X509*>(cert), &out);
  Bytes der(out, out + len);
  OPENSSL_free(out);
  return der;
}

std::vector<std::pair<std::string, Bytes>> VekExtensions(const std::string& product_name,
                                                         const VekTcb& tcb,
                                                         std::optional<Bytes> hwid,
                                                         std::optional<std::string> csp_id) {
  const std::string p = "1.3.6.1.4.1.3704.1.";
  std::vector<std::pair<std::string, Bytes>> ext = {
      {p + "1", DerInteger(tcb.fmc ? 1 : 0)}, {p + "2", DerIa5String(product_name)},
      {p + "3.1", DerInteger(tcb.bl)},        {p + "3.2", DerInteger(tcb.tee)},
      {p + "3.3", DerInteger(tcb.snp)},       {p + "3.8", DerInteger(tcb.ucode)},
  };
  if (tcb.fmc) ext.push_back({p + "3.9", DerInteger(*tcb.fmc)});
  if (hwid) ext.push_back({p + "4", *hwid});
  if (csp_id) ext.push_back({p + "5", DerIa5String(*csp_id)});
  return ext;
}

TestHierarchy MakeHierarchy(const HierarchySpec& spec) {
  TestHierarchy h;
  h.ark_key = UpRef(CachedKey("ark", true));
  h.ask_key = UpRef(CachedKey("ask", true));
  h.vek_key = UpRef(CachedKey(std::string("vek:") + spec.vek_curve, false));
  CertSpec ark;
  ark.common_name = "ARK-Test";
  ark.not_before = spec.not_before;
  ark.not_after = 2100000000;
  h.ark = IssueCertificate(ark, h.ark_key.get(), nullptr, h.ark_key.get());
  CertSpec ask;
  ask.serial = 0x1234;
  ask.common_name = spec.vlek ? "SEV-VLEK-Test" : "SEV-Test";
  ask.not_before = spec.not_before;
  ask.not_after = spec.ask_not_after;
  h.ask = IssueCertificate(ask, h.ask_key.get(), h.ark.get(), h.ark_key.get());
  CertSpec vek;
  vek.common_name = spec.vlek ? "SEV-VLEK" : "SEV-VCEK";
  vek.not_before = spec.not_before;
  vek.not_after = spec.not_after;
  vek.pss_salt = spec.vek_pss_salt;
  vek.extensions = VekExtensions(
      spec.product_name, spec.tcb, spec.vlek ? std::nullopt : std::optional<Bytes>(spec.hwid),
      spec.vlek ? std::optional<std::string>("CN=test-csp") : std::nullopt);
  h.vek = IssueCertificate(vek, h.vek_key.get(), h.ask.get(), h.ask_key.get());
  h.chain_pem = CertToPem(h.ask.get()) + CertToPem(h.ark.get());
  h.vek_der = CertToDer(h.vek.get());
  return h;
}

namespace {
void PutLe32(Bytes* b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
void PutLe64(Bytes* b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*b)[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

void SignReport(Bytes* report, EVP_PKEY* key) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Check(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) == 1, "sign init");
  size_t len = 0;
  Check(EVP_DigestSign(ctx.get(), nullptr, &len, report->data(), 0x2A0) == 1, "sign len");
  Bytes der(len);
  Check(EVP_DigestSign(ctx.get(), der.data(), &len, report->data(), 0x2A0) == 1, "sign");
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  Check(sig != nullptr, "d2i_ECDSA_SIG");
  std::memset(report->data() + 0x2A0, 0, 0x4A0 - 0x2A0);
  BN_bn2lebinpad(ECDSA_SIG_get0_r(sig.get()), report->data() + 0x2A0, 72);
  BN_bn2lebinpad(ECDSA_SIG_get0_s(sig.get()), report->data() + 0x2E8, 72);
}

Bytes BuildSignedReport(const ReportSpec& spec, EVP_PKEY* key) {
  Bytes r(0x4A0, 0);
  PutLe32(&r, 0x000, spec.version);
  PutLe32(&r, 0x004, spec.guest_svn);
  PutLe64(&r, 0x008, spec.policy);
  PutLe32(&r, 0x030, spec.vmpl);
  PutLe32(&r, 0x034, 1);
  PutLe64(&r, 0x038, spec.tcb);
  PutLe32(&r, 0x048, spec.signing_key << 2);
  std::memcpy(&r[0x050], spec.report_data.data(), 64);
  std::memcpy(&r[0x090], spec.measurement.data(), 48);
  std::memcpy(&r[0x0C0], spec.host_data.data(), 32);
  PutLe64(&r, 0x180, spec.tcb);
  if (spec.version >= 3) {
    r[0x188] = spec.cpuid_family;
    r[0x189] = spec.cpuid_model;
    r[0x18A] = spec.cpuid_step;
  }
  std::memcpy(&r[0x1A0], spec.chip_id.data(), std::min<size_t>(64, spec.chip_id.size()));
  PutLe64(&r, 0x1E0, spec.tcb);
  PutLe64(&r, 0x1F0, spec.tcb);
  SignReport(&r, key);
  return r;
}

}  // namespace pv::attest::testing
