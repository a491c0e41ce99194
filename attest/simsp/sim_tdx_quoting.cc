#include "attest/simsp/sim_tdx_quoting.h"

#include <sys/stat.h>

#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"
#include "attest/simsp/guest_request_server.h"
#include "attest/simsp/intel_shaped_pki.h"
#include "attest/simsp/state_files.h"
#include "protocol/attest/snp_guest_msg.h"

namespace pv::attest::simsp {
namespace {

namespace ap = pv::attest_proto;

constexpr char kOrg[] = "paravisor-cvm simulation";
constexpr char kOu[] = "Simulated Secure Processor (test platform, not a trust anchor)";
constexpr time_t kLifetime = time_t{25} * 365 * 86400;

// The simulated platform as the PCK certificate states it.
intel::PckTcb SimPckTcb() {
  intel::PckTcb t;
  t.components = {5, 5, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0};
  t.pcesvn = 13;
  t.fmspc = std::string("\x50\x80\x6f\x00\x00\x00", 6);
  return t;
}

// The simulated QE: product 2 (TD QE), SVN 8, a fixed simulated MRSIGNER and MRENCLAVE.
constexpr uint16_t kQeIsvProdId = 2, kQeIsvSvn = 8;
std::string QeMrSigner() {
  return std::string(32, '\x51');
}
std::string QeMrEnclave() {
  return std::string(32, '\x52');
}
// QE auth data as the real QE emits it: 32 bytes.
std::string QeAuthData() {
  return std::string(32, '\0');
}

std::string HexOf(const std::string& b) {
  return HexEncode(ByteSpan(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
}

template <typename T>
absl::Status Take(absl::StatusOr<T> v, T* out) {
  if (!v.ok()) return v.status();
  *out = *std::move(v);
  return absl::OkStatus();
}

absl::Status Create(const std::string& dir) {
  const time_t now = std::time(nullptr);
  const time_t from = now - 86400, until = now + kLifetime;
  EvpPkeyPtr root_key, ca_key, pck_key, tcb_key;
  for (EvpPkeyPtr* k : {&root_key, &ca_key, &pck_key, &tcb_key}) {
    if (absl::Status s = Take(intel::NewP256Key(), k); !s.ok()) return s;
  }
  intel::CertSpec spec;
  spec.organization = kOrg;
  spec.organizational_unit = kOu;
  spec.not_before = from;
  spec.not_after = until;
  // Role names as Intel's (verifiers find certificates by them); the OU and O say simulated.
  X509Ptr root, ca, pck, tcb_signer;
  spec.common_name = "Simulated Intel SGX Root CA";
  spec.serial = 1;
  spec.is_ca = true;
  if (auto s = Take(intel::IssueCertificate(spec, nullptr, root_key.get(), root_key.get()), &root);
      !s.ok()) {
    return s;
  }
  spec.common_name = "Intel SGX PCK Platform CA";
  spec.serial = 2;
  if (auto s = Take(intel::IssueCertificate(spec, root.get(), root_key.get(), ca_key.get()), &ca);
      !s.ok()) {
    return s;
  }
  const intel::PckTcb tcb = SimPckTcb();
  spec.common_name = "Intel SGX PCK Certificate (simulated)";
  spec.serial = 0x5100;
  spec.is_ca = false;
  spec.sgx_extension = intel::SgxExtensionDer(tcb);
  if (auto s = Take(intel::IssueCertificate(spec, ca.get(), ca_key.get(), pck_key.get()), &pck);
      !s.ok()) {
    return s;
  }
  spec.common_name = "Intel SGX TCB Signing";
  spec.serial = 3;
  spec.sgx_extension.clear();
  if (auto s = Take(intel::IssueCertificate(spec, root.get(), root_key.get(), tcb_key.get()),
                    &tcb_signer);
      !s.ok()) {
    return s;
  }
  std::string pck_crl, root_crl;
  if (auto s = Take(intel::CrlDer(ca.get(), ca_key.get(), nullptr, from, until), &pck_crl);
      !s.ok()) {
    return s;
  }
  if (auto s = Take(intel::CrlDer(root.get(), root_key.get(), nullptr, from, until), &root_crl);
      !s.ok()) {
    return s;
  }

  // TCB info: the simulated platform's level UpToDate, anything lower OutOfDate; the module
  // identity TDX_01 (TEE_TCB_SVN[1] = 1) UpToDate from minor kSimTeeTcbSvn[0].
  std::array<uint8_t, 16> tdx_components{};
  for (size_t i = 2; i < 16; ++i) tdx_components[i] = kSimTeeTcbSvn[i];
  intel::TcbInfoFields info;
  info.fmspc_hex = HexOf(tcb.fmspc);
  info.issue = from;
  info.next_update = until;
  info.levels_json = intel::PlatformLevel(tcb.components, tcb.pcesvn, tdx_components, "UpToDate") +
                     "," + intel::PlatformLevel({}, 0, {}, "OutOfDate");
  info.module_identities_json = absl::StrCat(
      "[",
      intel::TdxModuleIdentity("TDX_01", std::string(96, '0'),
                               {{kSimTeeTcbSvn[0], "2025-06-01T00:00:00Z", "UpToDate", {}},
                                {0, "2024-01-01T00:00:00Z", "OutOfDate", {}}}),
      "]");
  intel::QeIdentityFields qe;
  qe.levels = {{kQeIsvSvn, "UpToDate"}, {0, "OutOfDate"}};
  qe.mrsigner_hex = HexOf(QeMrSigner());
  qe.isvprodid = kQeIsvProdId;
  qe.issue = from;
  qe.next_update = until;
  std::string tcb_json, qe_json, pck_key_pem;
  if (auto s = Take(intel::SignedCollateral("tcbInfo", intel::TcbInfoBody(info), tcb_key.get()),
                    &tcb_json);
      !s.ok()) {
    return s;
  }
  if (auto s =
          Take(intel::SignedCollateral("enclaveIdentity", intel::QeIdentityBody(qe), tcb_key.get()),
               &qe_json);
      !s.ok()) {
    return s;
  }
  if (auto s = Take(intel::PrivateKeyPem(pck_key.get()), &pck_key_pem); !s.ok()) return s;

  const std::string c = dir + "/collateral";
  for (const std::string& d : {c, c + "/tcb", c + "/qe", c + "/pckcrl"}) {
    if (absl::Status s = MakeStateDir(d, 0755); !s.ok()) return s;
  }
  const std::string root_pem = intel::CertificatePem(root.get());
  const std::string tcb_chain = intel::CertificatePem(tcb_signer.get()) + root_pem;
  const std::string chain =
      intel::CertificatePem(pck.get()) + intel::CertificatePem(ca.get()) + root_pem;
  // Private key first (0600), public files after; pck-chain.pem last marks a complete hierarchy.
  const std::pair<std::string, std::string> files[] = {
      {dir + "/pck-key.pem", pck_key_pem},
      {dir + "/root.pem", root_pem},
      {c + "/tcb/" + info.fmspc_hex + ".json", tcb_json},
      {c + "/tcb/" + info.fmspc_hex + ".issuer-chain.pem", tcb_chain},
      {c + "/qe/identity.json", qe_json},
      {c + "/pckcrl/platform.crl", pck_crl},
      {c + "/pckcrl/platform.issuer-chain.pem", intel::CertificatePem(ca.get()) + root_pem},
      {c + "/rootcrl.crl", root_crl},
      {dir + "/pck-chain.pem", chain},
  };
  for (const auto& [path, data] : files) {
    if (absl::Status s = WriteStateFile(path, data, path == dir + "/pck-key.pem" ? 0600 : 0644);
        !s.ok()) {
      return s;
    }
  }
  OPENSSL_cleanse(pck_key_pem.data(), pck_key_pem.size());
  return absl::OkStatus();
}

std::string ToString(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

}  // namespace

absl::StatusOr<std::unique_ptr<SimulatedTdxQuoting>> SimulatedTdxQuoting::LoadOrCreate(
    const std::string& dir) {
  if (absl::Status s = MakeStateDir(dir); !s.ok()) return s;
  auto q = std::unique_ptr<SimulatedTdxQuoting>(new SimulatedTdxQuoting());
  q->dir_ = dir;
  struct stat st;
  if (::stat(q->PckChainPath().c_str(), &st) != 0) {
    if (absl::Status s = Create(dir); !s.ok()) return s;
  }
  absl::StatusOr<Bytes> key_pem = ReadFileBytes(dir + "/pck-key.pem", size_t{64} * 1024);
  if (!key_pem.ok()) return key_pem.status();
  absl::StatusOr<EvpPkeyPtr> pck_key = intel::PrivateKeyFromPem(
      std::string_view(reinterpret_cast<const char*>(key_pem->data()), key_pem->size()));
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  if (!pck_key.ok()) return pck_key.status();
  absl::StatusOr<Bytes> chain = ReadFileBytes(q->PckChainPath(), size_t{64} * 1024);
  if (!chain.ok()) return chain.status();
  q->pck_chain_pem_ = ToString(*chain);

  // The QE's start: a fresh attestation key, certified by the PCK leaf through the QE report.
  absl::StatusOr<EvpPkeyPtr> ak = intel::NewP256Key();
  if (!ak.ok()) return ak.status();
  q->ak_ = *std::move(ak);
  absl::StatusOr<std::string> ak_xy = intel::P256PublicXY(q->ak_.get());
  if (!ak_xy.ok()) return ak_xy.status();
  intel::QeReportFields fields;
  fields.cpusvn = SimPckTcb().components;
  fields.mrenclave = QeMrEnclave();
  fields.mrsigner = QeMrSigner();
  fields.isvprodid = kQeIsvProdId;
  fields.isvsvn = kQeIsvSvn;
  q->ak_xy_ = *ak_xy;
  q->qe_report_ = intel::QeReport(fields, *ak_xy, QeAuthData());
  absl::StatusOr<std::string> sig = intel::SignP256Raw(pck_key->get(), q->qe_report_);
  if (!sig.ok()) return sig.status();
  q->qe_report_sig_ = *std::move(sig);
  return q;
}

absl::StatusOr<std::vector<uint8_t>> SimulatedTdxQuoting::Quote(
    std::span<const uint8_t> tdreport) const {
  if (tdreport.size() != ap::kTdReportSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("TDREPORT: ", tdreport.size(), " bytes, expected ", ap::kTdReportSize));
  }
  const auto* r = reinterpret_cast<const char*>(tdreport.data());
  // TD 1.0 body: TEE_TCB_INFO's TEE_TCB_SVN, MRSEAM, MRSIGNERSEAM, ATTRIBUTES (its bytes 8..127),
  // TDINFO's ATTRIBUTES, XFAM, MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0-3 (bytes 0..399),
  // then REPORTMACSTRUCT.REPORTDATA.
  std::string body;
  body.append(r + kTdTeeTcbInfoOffset + 8, 120);
  body.append(r + kTdInfoOffset, 400);
  body.append(r + kTdReportDataOffset, 64);
  const intel::PckTcb tcb = SimPckTcb();
  std::string signed_part = intel::QuoteHeader(4, kQeIsvSvn, tcb.pcesvn) + body;
  intel::QeCertification cert{qe_report_, qe_report_sig_, QeAuthData(), pck_chain_pem_};
  absl::StatusOr<std::string> quote =
      intel::SignQuote(std::move(signed_part), ak_.get(), ak_xy_, cert);
  if (!quote.ok()) return quote.status();
  return std::vector<uint8_t>(quote->begin(), quote->end());
}

}  // namespace pv::attest::simsp
