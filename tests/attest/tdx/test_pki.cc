#include "tests/attest/tdx/test_pki.h"

#include <cstdio>
#include <cstdlib>

#include "attest/tdx/hex.h"

namespace pv::attest::tdx::testing_pki {
namespace {

namespace intel = pv::attest::simsp::intel;

// Test-fixture construction failing is a broken test environment, not a verifier result;
// abort loudly (tests are allowed exceptions-free aborts).
template <typename T>
T Require(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    (void)fprintf(stderr, "test PKI: %s failed: %s\n", what,
                  std::string(v.status().message()).c_str());
    abort();
  }
  return *std::move(v);
}

EvpPkeyPtr NewP256Key() {
  return Require(intel::NewP256Key(), "P-256 key");
}

X509Ptr MakeCert(const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, EVP_PKEY* key,
                 long serial, bool is_ca, time_t not_after, const std::string& sgx_ext = "") {
  intel::CertSpec spec;
  spec.common_name = cn;
  spec.organization = "PV Test PKI";
  spec.serial = serial;
  spec.is_ca = is_ca;
  spec.not_before = 1577836800;  // 2020-01-01
  spec.not_after = not_after;
  spec.sgx_extension = sgx_ext;
  return Require(intel::IssueCertificate(spec, issuer, issuer_key, key), "certificate");
}

std::string QeMrSigner() {
  return std::string(32, '\x3c');
}

}  // namespace

std::string SgxExtensionDer(const PckTcb& tcb) {
  return intel::SgxExtensionDer(tcb);
}

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
                   false, leaf_not_after, intel::SgxExtensionDer(tcb));
  tcb_signer_ = MakeCert("Intel SGX TCB Signing", root_.get(), root_key_.get(), tcb_key_.get(), 3,
                         false, k2040);
}

std::string TestPki::RootPem() const {
  return intel::CertificatePem(root_.get());
}
std::string TestPki::PckChainPem() const {
  return intel::CertificatePem(leaf_.get()) + intel::CertificatePem(ca_.get()) +
         intel::CertificatePem(root_.get());
}
std::string TestPki::TcbSigningChainPem() const {
  return intel::CertificatePem(tcb_signer_.get()) + intel::CertificatePem(root_.get());
}
std::string TestPki::PckCrlDer(bool revoke_pck, time_t this_update, time_t next_update) const {
  return Require(intel::CrlDer(ca_.get(), ca_key_.get(), revoke_pck ? leaf_.get() : nullptr,
                               this_update, next_update),
                 "PCK CRL");
}
std::string TestPki::RootCrlDer(bool revoke_pck_ca, time_t this_update, time_t next_update) const {
  return Require(intel::CrlDer(root_.get(), root_key_.get(), revoke_pck_ca ? ca_.get() : nullptr,
                               this_update, next_update),
                 "root CRL");
}

std::string TestPki::MakeQuote(const QuoteSpec& spec) const {
  std::string header = intel::QuoteHeader(static_cast<uint16_t>(spec.version), 0, tcb_.pcesvn);

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
    signed_data.push_back(static_cast<char>(spec.body_type));
    signed_data.push_back('\0');
    const auto size = static_cast<uint32_t>(body_size);
    for (int i = 0; i < 4; ++i) signed_data.push_back(static_cast<char>(size >> (8 * i)));
  }
  signed_data += body;

  EvpPkeyPtr ak = NewP256Key();
  const std::string ak_xy = Require(intel::P256PublicXY(ak.get()), "AK public key");

  intel::QeReportFields qe;
  qe.cpusvn = tcb_.components;
  for (size_t i = 0; i < 32; ++i) qe.mrenclave[i] = static_cast<char>(0x40 + 64 + i);
  qe.mrsigner = QeMrSigner();
  qe.isvprodid = spec.qe_isvprodid;
  qe.isvsvn = spec.qe_isvsvn;
  intel::QeCertification cert;
  cert.qe_report = intel::QeReport(qe, ak_xy, spec.qe_auth_data);
  if (spec.corrupt_binding_padding) cert.qe_report[383] = 1;
  cert.qe_report_sig = Require(intel::SignP256Raw(leaf_key_.get(), cert.qe_report), "QE report");
  cert.qe_auth_data = spec.qe_auth_data;
  cert.pck_chain_pem = PckChainPem();
  return Require(intel::SignQuote(signed_data, ak.get(), ak_xy, cert), "quote");
}

std::string TestPki::TcbSignHex(const std::string& data) const {
  return HexEncode(Require(intel::SignP256Raw(tcb_key_.get(), data), "TCB signature"));
}
std::string TestPki::SignTcbInfo(const std::string& body) const {
  return Require(intel::SignedCollateral("tcbInfo", body, tcb_key_.get()), "TCB info");
}
std::string TestPki::SignQeIdentity(const std::string& body) const {
  return Require(intel::SignedCollateral("enclaveIdentity", body, tcb_key_.get()), "QE identity");
}

std::string PlatformLevel(const std::array<uint8_t, 16>& sgx, int pcesvn,
                          const std::array<uint8_t, 16>& tdx, const std::string& status,
                          const std::vector<std::string>& advisories) {
  return intel::PlatformLevel(sgx, pcesvn, tdx, status, advisories);
}

std::string TcbInfoBody(const std::string& fmspc_hex, const std::string& levels_json,
                        const std::string& module_identities_json, time_t issue, time_t next) {
  intel::TcbInfoFields f;
  f.fmspc_hex = fmspc_hex;
  f.issue = issue;
  f.next_update = next;
  f.levels_json = levels_json;
  f.module_identities_json = module_identities_json;
  return intel::TcbInfoBody(f);
}

std::string QeIdentityBody(const std::vector<std::pair<int, std::string>>& levels,
                           const std::string& mrsigner_hex, time_t issue, time_t next) {
  intel::QeIdentityFields f;
  f.levels = levels;
  f.mrsigner_hex = mrsigner_hex.empty() ? QeMrSignerHex() : mrsigner_hex;
  f.issue = issue;
  f.next_update = next;
  return intel::QeIdentityBody(f);
}

}  // namespace pv::attest::tdx::testing_pki
