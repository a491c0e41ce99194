#include "attest/simsp/sim_amd_sp.h"

#include <fcntl.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"
#include "attest/common/cert_util.h"
#include "attest/simsp/der_values.h"
#include "attest/simsp/state_files.h"

namespace pv::attest::simsp {
namespace {

constexpr size_t kSignedBytes = 0x2A0;
constexpr size_t kSigR = 0x2A0, kSigS = 0x2E8, kSigComponent = 72;
constexpr char kAmdOid[] = "1.3.6.1.4.1.3704.1.";

absl::Status OpenSslError(const char* what) {
  return absl::InternalError(absl::StrCat("simulated AMD-SP: ", what, ": ", DrainOpenSslErrors()));
}

std::string ToString(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

std::string PemOf(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), const_cast<X509*>(cert));
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// One certificate of the hierarchy, RSASSA-PSS SHA-384 / MGF1-SHA-384 / salt 48 as AMD signs.
absl::StatusOr<X509Ptr> Issue(const std::string& cn, long serial, EVP_PKEY* subject_key,
                              const X509* issuer, EVP_PKEY* issuer_key,
                              const std::vector<std::pair<std::string, Bytes>>& extensions) {
  X509Ptr cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  const time_t now = std::time(nullptr);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - time_t{24} * 3600);
  ASN1_TIME_adj(X509_getm_notAfter(cert.get()), now, 365 * 25, 0);
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, const std::string& value) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  };
  add("OU", "Simulated Secure Processor (test platform, not a trust anchor)");
  add("O", "paravisor-cvm simulation");
  add("CN", cn);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), subject_key);
  for (const auto& [oid, value] : extensions) {
    ASN1_OBJECT* obj = OBJ_txt2obj(oid.c_str(), 1);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, value.data(), static_cast<int>(value.size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, data);
    const bool ok = ext != nullptr && X509_add_ext(cert.get(), ext, -1) == 1;
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(obj);
    if (!ok) return OpenSslError("add extension");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha384(), nullptr, issuer_key) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) != 1 ||
      X509_sign_ctx(cert.get(), ctx.get()) <= 0) {
    return OpenSslError("sign certificate");
  }
  return cert;
}

absl::Status Create(const std::string& dir, const SimTcb& tcb) {
  EvpPkeyPtr ark_key(EVP_RSA_gen(4096)), ask_key(EVP_RSA_gen(4096));
  EvpPkeyPtr vcek_key(EVP_EC_gen("secp384r1"));
  if (!ark_key || !ask_key || !vcek_key) return OpenSslError("key generation");
  std::array<uint8_t, 64> chip_id;
  if (RAND_bytes(chip_id.data(), static_cast<int>(chip_id.size())) != 1)
    return OpenSslError("RAND_bytes");
  absl::StatusOr<X509Ptr> ark =
      Issue("ARK-Milan-Simulated", 1, ark_key.get(), nullptr, ark_key.get(), {});
  if (!ark.ok()) return ark.status();
  absl::StatusOr<X509Ptr> ask =
      Issue("SEV-Milan-Simulated", 2, ask_key.get(), ark->get(), ark_key.get(), {});
  if (!ask.ok()) return ask.status();
  const std::string p = kAmdOid;
  std::vector<std::pair<std::string, Bytes>> ext = {
      {p + "1", DerInteger(0)},
      {p + "2", DerIa5String("Milan-B0")},
      {p + "3.1", DerInteger(tcb.bl)},
      {p + "3.2", DerInteger(tcb.tee)},
      {p + "3.3", DerInteger(tcb.snp)},
      {p + "3.8", DerInteger(tcb.ucode)},
      {p + "4", Bytes(chip_id.begin(), chip_id.end())},
  };
  // AMD VCEKs have serial number 0 (and no AKI): replicated so the verifier's path is the real one.
  absl::StatusOr<X509Ptr> vcek =
      Issue("SEV-VCEK", 0, vcek_key.get(), ask->get(), ask_key.get(), ext);
  if (!vcek.ok()) return vcek.status();
  absl::StatusOr<Bytes> vcek_der = CertificateDer(vcek->get());
  if (!vcek_der.ok()) return vcek_der.status();

  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(key_bio.get(), vcek_key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return OpenSslError("encode VCEK key");
  }
  char* key_data = nullptr;
  const long key_len = BIO_get_mem_data(key_bio.get(), &key_data);
  // Private key first (0600), public files after: a crash leaves no hierarchy without its key.
  if (auto s = WriteStateFile(dir + "/vcek-key.pem", std::string(key_data, key_len), 0600);
      !s.ok()) {
    return s;
  }
  if (auto s = WriteStateFile(dir + "/ark.pem", PemOf(ark->get()), 0644); !s.ok()) return s;
  if (auto s = WriteStateFile(dir + "/ask.pem", PemOf(ask->get()), 0644); !s.ok()) return s;
  if (auto s = WriteStateFile(dir + "/cert_chain.pem", PemOf(ask->get()) + PemOf(ark->get()), 0644);
      !s.ok()) {
    return s;
  }
  if (auto s = WriteStateFile(dir + "/vcek.pem", PemOf(vcek->get()), 0644); !s.ok()) return s;
  // vcek.der last: its presence marks a complete hierarchy.
  return WriteStateFile(dir + "/vcek.der", ToString(*vcek_der), 0644);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SimulatedAmdSp>> SimulatedAmdSp::LoadOrCreate(
    const std::string& dir) {
  if (absl::Status s = MakeStateDir(dir); !s.ok()) return s;
  auto sp = std::unique_ptr<SimulatedAmdSp>(new SimulatedAmdSp());
  sp->dir_ = dir;
  struct stat st;
  if (::stat(sp->VcekPath().c_str(), &st) != 0) {
    if (auto s = Create(dir, sp->tcb_); !s.ok()) return s;
  }
  absl::StatusOr<Bytes> key_pem = ReadFileBytes(dir + "/vcek-key.pem", size_t{64} * 1024);
  if (!key_pem.ok()) return key_pem.status();
  BioPtr bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  sp->vcek_key_.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  std::fill(key_pem->begin(), key_pem->end(), 0);
  if (!sp->vcek_key_) return OpenSslError("read vcek-key.pem");
  absl::StatusOr<Bytes> der = ReadFileBytes(sp->VcekPath(), size_t{64} * 1024);
  if (!der.ok()) return der.status();
  absl::StatusOr<X509Ptr> vcek = ParseSingleCertificate(*der, "simulated VCEK");
  if (!vcek.ok()) return vcek.status();
  // The chip id is the VCEK's hwID extension: one source of truth.
  ASN1_OBJECT* hwid_oid = OBJ_txt2obj("1.3.6.1.4.1.3704.1.4", 1);
  const int idx = X509_get_ext_by_OBJ(vcek->get(), hwid_oid, -1);
  ASN1_OBJECT_free(hwid_oid);
  ASN1_OCTET_STRING* hwid =
      idx >= 0 ? X509_EXTENSION_get_data(X509_get_ext(vcek->get(), idx)) : nullptr;
  if (hwid == nullptr || ASN1_STRING_length(hwid) != 64) {
    return absl::InvalidArgumentError(absl::StrCat(sp->VcekPath(), ": no 64-byte hwID extension"));
  }
  std::memcpy(sp->chip_id_.data(), ASN1_STRING_get0_data(hwid), 64);
  return sp;
}

absl::Status SimulatedAmdSp::SignReport(std::span<uint8_t> report) const {
  if (report.size() != 0x4A0) return absl::InvalidArgumentError("report must be 0x4A0 bytes");
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, vcek_key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, report.data(), kSignedBytes) != 1) {
    return OpenSslError("sign report");
  }
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, report.data(), kSignedBytes) != 1) {
    return OpenSslError("sign report");
  }
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return OpenSslError("decode signature");
  std::memset(report.data() + kSigR, 0, report.size() - kSigR);
  BN_bn2lebinpad(ECDSA_SIG_get0_r(sig.get()), report.data() + kSigR, kSigComponent);
  BN_bn2lebinpad(ECDSA_SIG_get0_s(sig.get()), report.data() + kSigS, kSigComponent);
  return absl::OkStatus();
}

}  // namespace pv::attest::simsp
