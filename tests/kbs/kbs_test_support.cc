#include "tests/kbs/kbs_test_support.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "kbs/base64.h"
#include "kbs/runtime_data.h"
#include "tests/attest/snp/amd_test_pki.h"
#include "tests/attest/tdx/test_pki.h"

namespace pv::kbs::testing {
namespace {

namespace snp_pki = attest::testing;
namespace tdx_pki = attest::tdx::testing_pki;

std::string B64u(const Bytes& b) {
  return Base64UrlEncode(b);
}

Bytes BnParam(EVP_PKEY* key, const char* name, size_t pad) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error(name);
  Bytes out(pad ? pad : static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

absl::StatusOr<Bytes> Field(const Json& jwe, const char* name) {
  if (!jwe.contains(name) || !jwe[name].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("JWE lacks ", name));
  }
  return Base64UrlDecode(jwe[name].get<std::string>());
}

// RFC 7518 4.6.2 Concat KDF, written independently of kbs/jwe.cc.
Bytes Kdf(const Bytes& z) {
  const std::string alg = "ECDH-ES+A256KW";
  Bytes info = {0, 0, 0, 1};
  info.insert(info.end(), z.begin(), z.end());
  const uint8_t alg_len[4] = {0, 0, 0, static_cast<uint8_t>(alg.size())};
  info.insert(info.end(), alg_len, alg_len + 4);
  info.insert(info.end(), alg.begin(), alg.end());
  const uint8_t tail[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};  // apu, apv empty; 256 bits
  info.insert(info.end(), tail, tail + 12);
  Bytes out(32);
  EVP_Digest(info.data(), info.size(), out.data(), nullptr, EVP_sha256(), nullptr);
  return out;
}

}  // namespace

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

std::string Hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

AttesterKey MakeAttesterKey(const std::string& kind) {
  AttesterKey k;
  if (kind == "RSA") {
    k.key.reset(EVP_RSA_gen(3072));
    const Bytes n = BnParam(k.key.get(), OSSL_PKEY_PARAM_RSA_N, 0);
    const Bytes e = BnParam(k.key.get(), OSSL_PKEY_PARAM_RSA_E, 0);
    k.public_jwk = {{"kty", "RSA"}, {"alg", "RSA-OAEP-256"}, {"n", B64u(n)}, {"e", B64u(e)}};
    k.private_jwk = k.public_jwk;
    const std::pair<const char*, const char*> priv[] = {
        {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
    for (const auto& [jwk_name, param] : priv) {
      k.private_jwk[jwk_name] = B64u(BnParam(k.key.get(), param, 0));
    }
    return k;
  }
  const char* group = kind == "P-256" ? "prime256v1" : kind == "P-384" ? "secp384r1" : "secp521r1";
  const size_t size = kind == "P-256" ? 32 : kind == "P-384" ? 48 : 66;
  k.key.reset(EVP_EC_gen(group));
  const Bytes x = BnParam(k.key.get(), OSSL_PKEY_PARAM_EC_PUB_X, size);
  const Bytes y = BnParam(k.key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, size);
  k.public_jwk = {
      {"kty", "EC"}, {"crv", kind}, {"alg", "ECDH-ES+A256KW"}, {"x", B64u(x)}, {"y", B64u(y)}};
  k.private_jwk = k.public_jwk;
  k.private_jwk["d"] = B64u(BnParam(k.key.get(), OSSL_PKEY_PARAM_PRIV_KEY, size));
  return k;
}

Json RuntimeData(const std::string& nonce, const Json& public_jwk) {
  return Json{{"nonce", nonce}, {"tee-pubkey", public_jwk}};
}

Rd Binding(const Json& runtime_data) {
  auto b = RuntimeDataBinding(runtime_data);
  if (!b.ok()) throw std::runtime_error(std::string(b.status().message()));
  return *b;
}

struct SyntheticSnp::Impl {
  snp_pki::TestHierarchy h;
};

SyntheticSnp::SyntheticSnp() : impl_(std::make_unique<Impl>()) {
  impl_->h = snp_pki::MakeHierarchy(snp_pki::HierarchySpec{});
}
SyntheticSnp::~SyntheticSnp() = default;

std::string SyntheticSnp::ArkPem() const {
  return snp_pki::CertToPem(impl_->h.ark.get());
}
Bytes SyntheticSnp::VcekDer() const {
  return impl_->h.vek_der;
}
std::string SyntheticSnp::ChainPem() const {
  return impl_->h.chain_pem;
}

Bytes SyntheticSnp::Report(const SnpSpec& spec, const Rd& report_data) const {
  snp_pki::ReportSpec r;
  r.measurement = spec.measurement;
  r.host_data = spec.host_data;
  r.report_data = report_data;
  r.vmpl = spec.vmpl;
  if (spec.debug) r.policy |= 1ull << 19;
  return snp_pki::BuildSignedReport(r, impl_->h.vek_key.get());
}

void SyntheticSnp::Resign(Bytes* report) const {
  snp_pki::SignReport(report, impl_->h.vek_key.get());
}

Json SyntheticSnp::Evidence(const Bytes& report, bool base64) const {
  auto enc = [base64](const Bytes& b) { return base64 ? Json(Base64Encode(b)) : Json(b); };
  Json chain = Json::array();
  chain.push_back({{"cert_type", "VCEK"}, {"data", enc(impl_->h.vek_der)}});
  chain.push_back({{"cert_type", "ASK"}, {"data", enc(snp_pki::CertToDer(impl_->h.ask.get()))}});
  chain.push_back({{"cert_type", "ARK"}, {"data", enc(snp_pki::CertToDer(impl_->h.ark.get()))}});
  return Json{{"attestation_report", enc(report)}, {"cert_chain", chain}};
}

SyntheticTdx::SyntheticTdx() : pki_(std::make_unique<tdx_pki::TestPki>()) {}
SyntheticTdx::~SyntheticTdx() = default;

std::string SyntheticTdx::RootPem() const {
  return pki_->RootPem();
}

void SyntheticTdx::WriteCollateral(const std::string& dir) const {
  const time_t now = time(nullptr);
  const std::array<uint8_t, 16> tdx_comps{0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::string levels =
      tdx_pki::PlatformLevel(pki_->tcb().components, pki_->tcb().pcesvn, tdx_comps, "UpToDate");
  for (const char* sub : {"", "/tcb", "/qe", "/pckcrl"}) ::mkdir((dir + sub).c_str(), 0700);
  const std::string fmspc = "90c06f000000";
  WriteFile(
      dir + "/tcb/" + fmspc + ".json",
      pki_->SignTcbInfo(tdx_pki::TcbInfoBody(fmspc, levels, "", now - 86400, now + 30 * 86400)));
  WriteFile(dir + "/tcb/" + fmspc + ".issuer-chain.pem", pki_->TcbSigningChainPem());
  WriteFile(dir + "/qe/identity.json", pki_->SignQeIdentity(tdx_pki::QeIdentityBody(
                                           {{8, "UpToDate"}}, "", now - 86400, now + 30 * 86400)));
  WriteFile(dir + "/pckcrl/platform.crl", pki_->PckCrlDer(false, now - 86400, now + 30 * 86400));
  WriteFile(dir + "/rootcrl.crl", pki_->RootCrlDer(false, now - 86400, now + 30 * 86400));
}

Bytes SyntheticTdx::Quote(const TdxSpec& spec, const Rd& report_data) const {
  tdx_pki::QuoteSpec q;
  q.tee_tcb_svn = {0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // no TDX module identity
  q.td_attributes0 = spec.debug ? 1 : 0;
  q.mr_td = spec.mr_td;
  q.report_data.assign(report_data.begin(), report_data.end());
  const std::string quote = pki_->MakeQuote(q);
  return Bytes(quote.begin(), quote.end());
}

Json SyntheticTdx::Evidence(const Bytes& quote) {
  return Json{{"cc_eventlog", nullptr}, {"quote", Base64Encode(quote)}, {"aa_eventlog", nullptr}};
}

std::string SyntheticTdx::Rtmr0Hex() {
  uint8_t rtmr0[48];
  for (size_t i = 0; i < 48; ++i)
    rtmr0[i] = static_cast<uint8_t>((328 + i) * 7);  // test_pki pattern
  return Hex(rtmr0, 48);
}

absl::StatusOr<Bytes> DecryptJwe(const Json& jwe, EVP_PKEY* recipient) {
  if (!jwe.contains("protected") || !jwe["protected"].is_string()) {
    return absl::InvalidArgumentError("JWE lacks protected");
  }
  const std::string protected_b64 = jwe["protected"].get<std::string>();
  auto header_bytes = Base64UrlDecode(protected_b64);
  auto ek = Field(jwe, "encrypted_key");
  auto iv = Field(jwe, "iv");
  auto ct = Field(jwe, "ciphertext");
  auto tag = Field(jwe, "tag");
  for (const auto* s : {&header_bytes, &ek, &iv, &ct, &tag}) {
    if (!s->ok()) return s->status();
  }
  const Json header = Json::parse(header_bytes->begin(), header_bytes->end(), nullptr, false);
  if (!header.is_object() || header.value("enc", "") != "A256GCM") {
    return absl::InvalidArgumentError("JWE header: enc must be A256GCM");
  }
  Bytes cek(32);
  const std::string alg = header.value("alg", "");
  if (alg == "ECDH-ES+A256KW") {
    const Json& epk = header["epk"];
    auto x = Base64UrlDecode(epk.value("x", "")), y = Base64UrlDecode(epk.value("y", ""));
    if (!x.ok() || !y.ok()) return absl::InvalidArgumentError("epk");
    char group[64];
    size_t glen = 0;
    EVP_PKEY_get_utf8_string_param(recipient, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                   &glen);
    Bytes point = {4};
    point.insert(point.end(), x->begin(), x->end());
    point.insert(point.end(), y->begin(), y->end());
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    attest::EvpPkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* peer_raw = nullptr;
    if (EVP_PKEY_fromdata_init(fctx.get()) <= 0 ||
        EVP_PKEY_fromdata(fctx.get(), &peer_raw, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
      return absl::InvalidArgumentError("epk not a valid point");
    }
    attest::EvpPkeyPtr peer(peer_raw);
    attest::EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new_from_pkey(nullptr, recipient, nullptr));
    size_t zlen = 0;
    EVP_PKEY_derive_init(dctx.get());
    EVP_PKEY_derive_set_peer(dctx.get(), peer.get());
    EVP_PKEY_derive(dctx.get(), nullptr, &zlen);
    Bytes z(zlen);
    EVP_PKEY_derive(dctx.get(), z.data(), &zlen);
    const Bytes kek = Kdf(z);
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> c(EVP_CIPHER_CTX_new());
    int len = 0, fin = 0;
    Bytes out(ek->size());
    if (EVP_DecryptInit_ex(c.get(), EVP_aes_256_wrap(), nullptr, kek.data(), nullptr) != 1 ||
        EVP_DecryptUpdate(c.get(), out.data(), &len, ek->data(), static_cast<int>(ek->size())) !=
            1 ||
        EVP_DecryptFinal_ex(c.get(), out.data() + len, &fin) != 1 || len + fin != 32) {
      return absl::InvalidArgumentError("AES key unwrap failed");
    }
    std::copy(out.begin(), out.begin() + 32, cek.begin());
  } else if (alg == "RSA-OAEP-256") {
    attest::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, recipient, nullptr));
    size_t len = 0;
    EVP_PKEY_decrypt_init(ctx.get());
    EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING);
    EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256());
    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256());
    EVP_PKEY_decrypt(ctx.get(), nullptr, &len, ek->data(), ek->size());
    Bytes out(len);
    if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, ek->data(), ek->size()) != 1 || len != 32) {
      return absl::InvalidArgumentError("RSA-OAEP decryption failed");
    }
    std::copy(out.begin(), out.begin() + 32, cek.begin());
  } else {
    return absl::InvalidArgumentError("JWE alg not supported by the test decryptor");
  }
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> c(EVP_CIPHER_CTX_new());
  Bytes pt(ct->size() + 16);
  int len = 0, fin = 0;
  if (EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv->size()), nullptr) !=
          1 ||
      EVP_DecryptInit_ex(c.get(), nullptr, nullptr, cek.data(), iv->data()) != 1 ||
      EVP_DecryptUpdate(c.get(), nullptr, &len,
                        reinterpret_cast<const uint8_t*>(protected_b64.data()),
                        static_cast<int>(protected_b64.size())) != 1 ||
      EVP_DecryptUpdate(c.get(), pt.data(), &len, ct->data(), static_cast<int>(ct->size())) != 1 ||
      tag->size() != 16 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, 16, tag->data()) != 1 ||
      EVP_DecryptFinal_ex(c.get(), pt.data() + len, &fin) != 1) {
    return absl::InvalidArgumentError("A256GCM authentication failed");
  }
  pt.resize(static_cast<size_t>(len + fin));
  return pt;
}

}  // namespace pv::kbs::testing
