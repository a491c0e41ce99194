// The SIMULATED AMD Secure Processor: a test platform that stands in for the AMD-SP on machines
// without SEV-SNP hardware. It is NEVER a trust anchor: its roots are generated here, are not
// pinned anywhere, and `pvattest verify snp` accepts its evidence only with an explicit
// `--allow-root` naming its ARK.
//
// Key hierarchy, generated once per directory with OpenSSL and then loaded from it, shaped like
// AMD's: ARK (RSA-4096, self-signed, RSASSA-PSS SHA-384) -> ASK (RSA-4096, PSS) -> VCEK (P-384,
// PSS-signed by the ASK, serial 0, AMD's extensions: structVersion, productName "Milan-B0",
// blSPL/teeSPL/snpSPL/ucodeSPL, hwID = the simulated chip id). Files in the directory:
//   ark.pem, ask.pem, cert_chain.pem (ASK then ARK), vcek.der, vcek.pem  -- public
//   vcek-key.pem (mode 0600)                                            -- the signing key
// The ARK and ASK private keys are not kept: nothing is issued after creation.
#ifndef PV_ATTEST_SIMSP_SIM_AMD_SP_H_
#define PV_ATTEST_SIMSP_SIM_AMD_SP_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "attest/common/openssl_ptr.h"

namespace pv::attest::simsp {

inline constexpr char kSimulatedAmdSpName[] =
    "simulated AMD-SP (test platform, not a trust anchor)";

// The simulated platform's TCB (Milan layout: BL byte 0, TEE byte 1, SNP byte 6, UCODE byte 7),
// the same values the VCEK's SPL extensions carry.
struct SimTcb {
  uint8_t bl = 3, tee = 0, snp = 8, ucode = 115;
  uint64_t Encoded() const {
    return uint64_t{bl} | (uint64_t{tee} << 8) | (uint64_t{snp} << 48) | (uint64_t{ucode} << 56);
  }
};

// CPUID of the simulated chip (Milan: family 0x19, model 0x01, stepping 0x01).
inline constexpr uint8_t kSimCpuidFamily = 0x19, kSimCpuidModel = 0x01, kSimCpuidStepping = 0x01;

class SimulatedAmdSp {
 public:
  // Loads the hierarchy from `dir`, creating it (and the directory, 0700) on first use.
  static absl::StatusOr<std::unique_ptr<SimulatedAmdSp>> LoadOrCreate(const std::string& dir);

  const std::string& dir() const { return dir_; }
  std::string ArkPath() const { return dir_ + "/ark.pem"; }
  std::string ChainPath() const { return dir_ + "/cert_chain.pem"; }
  std::string VcekPath() const { return dir_ + "/vcek.der"; }
  const std::array<uint8_t, 64>& chip_id() const { return chip_id_; }
  const SimTcb& tcb() const { return tcb_; }

  // Signs bytes 0x000..0x29F of an ATTESTATION_REPORT with the VCEK (ECDSA P-384 / SHA-384)
  // and stores r and s little-endian at 0x2A0 and 0x2E8.
  absl::Status SignReport(std::span<uint8_t> report) const;

 private:
  std::string dir_;
  EvpPkeyPtr vcek_key_;
  std::array<uint8_t, 64> chip_id_{};
  SimTcb tcb_;
};

}  // namespace pv::attest::simsp

#endif  // PV_ATTEST_SIMSP_SIM_AMD_SP_H_
