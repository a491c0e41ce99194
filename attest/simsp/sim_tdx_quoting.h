// The SIMULATED TDX quoting path: a test platform that stands in for Intel's TD Quoting Enclave
// and PCK certification on machines without TDX. It is NEVER a trust anchor: its root is
// generated here and not pinned; `pvattest verify tdx` accepts its quotes only with an explicit
// `--allow-root` naming its root.
//
// Key hierarchy, generated once per directory with OpenSSL (P-256 throughout, like Intel's) and
// loaded afterwards:
//   root CA (self-signed) -> PCK Platform CA -> PCK leaf (SGX extension: FMSPC, PCE-ID, the 16
//   TCB components, PCESVN; sim_tdx_quoting.cc's kSimPckTcb)
//   root CA -> TCB signing certificate, which signs the TCB info (tcbInfo v3, TDX, with
//   tdxModuleIdentities and tdxtcbcomponents) and the QE identity over their exact bytes
//   CRLs of the PCK CA and of the root (nothing revoked)
// Files in the directory:
//   root.pem, pck-chain.pem (leaf, CA, root)                   -- public
//   pck-key.pem (mode 0600)                                    -- the PCK leaf's signing key
//   collateral/                                                -- `pvattest verify tdx
//     tcb/<fmspc>.json, tcb/<fmspc>.issuer-chain.pem              --collateral` layout
//     qe/identity.json, pckcrl/platform.crl, rootcrl.crl
// The root, CA and TCB-signing private keys are not kept: nothing is issued after creation, so
// the collateral is valid for the hierarchy's lifetime (25 years), unlike Intel's 30 days.
//
// The simulated QE: at load it generates its attestation key (P-256, in memory only, as the real
// QE regenerates it) and a QE report whose REPORT_DATA is SHA-256(AK || QE auth data) || 32 zero
// bytes, signed by the PCK leaf. Quote() turns a TDREPORT into a v4 quote (TD 1.0 body) signed
// with the AK. The TDREPORT's MAC is checked by its producer (GuestRequestServer::CheckTdReport)
// first, as the real QE verifies a report through the EREPORT key.
#ifndef PV_ATTEST_SIMSP_SIM_TDX_QUOTING_H_
#define PV_ATTEST_SIMSP_SIM_TDX_QUOTING_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/common/openssl_ptr.h"

namespace pv::attest::simsp {

inline constexpr char kSimulatedTdxName[] =
    "simulated TDX module + quoting enclave (test platform, not a trust anchor)";

// The simulated TDX module's TEE_TCB_SVN (minor 3, major 1: TDX module 1.x, identity "TDX_01"),
// written into every TDREPORT and matched by the TCB info.
inline constexpr std::array<uint8_t, 16> kSimTeeTcbSvn{3, 1, 5, 0, 0, 0, 0, 0,
                                                       0, 0, 0, 0, 0, 0, 0, 0};
// MRSEAM of the simulated module (a fixed pattern; MRSIGNERSEAM is zero like Intel's module).
inline constexpr uint8_t kSimMrSeamByte = 0x5e;

class SimulatedTdxQuoting {
 public:
  // Loads the hierarchy from `dir`, creating it (and the directory, 0700) on first use.
  static absl::StatusOr<std::unique_ptr<SimulatedTdxQuoting>> LoadOrCreate(const std::string& dir);

  const std::string& dir() const { return dir_; }
  std::string RootPath() const { return dir_ + "/root.pem"; }
  std::string PckChainPath() const { return dir_ + "/pck-chain.pem"; }
  std::string CollateralDir() const { return dir_ + "/collateral"; }

  // A v4 quote over a 1024-byte TDREPORT whose MAC its producer has already checked: header,
  // TD 1.0 body (TEE_TCB_INFO and TDINFO fields, REPORTDATA), AK signature, QE certification
  // data with the PCK chain.
  absl::StatusOr<std::vector<uint8_t>> Quote(std::span<const uint8_t> tdreport) const;

 private:
  std::string dir_;
  EvpPkeyPtr ak_;
  std::string ak_xy_, qe_report_, qe_report_sig_, pck_chain_pem_;
};

}  // namespace pv::attest::simsp

#endif  // PV_ATTEST_SIMSP_SIM_TDX_QUOTING_H_
