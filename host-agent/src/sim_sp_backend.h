// The agent's side of the SIMULATED secure processor (attest/simsp; test platform, never a
// trust anchor): one AttestationBackend per partition with tee != none. The agent relays guest
// messages to it as ciphertext, as a host relays them to a real AMD-SP; the VMPCKs live in
// this object, in the partition's secrets page and -- because the secure processor is simulated
// and must survive an agent restart -- in the partition directory's simulated-sp-state.bin
// (mode 0600; real hardware keeps them inside the SP). Never logged.
#ifndef PV_HOST_AGENT_SIM_SP_BACKEND_H_
#define PV_HOST_AGENT_SIM_SP_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "attest/measure/snp_launch_digest.h"
#include "attest/simsp/guest_request_server.h"
#include "attest/simsp/sim_tdx_quoting.h"
#include "attestation_backend.h"
#include "pv/v1/partition_manager.pb.h"
#include "simulated_platforms.h"

namespace pv::agent {

class SimulatedSpBackend : public AttestationBackend {
 public:
  // Per-partition VMPCKs and identity (POLICY, HOST_DATA, FAMILY_ID, IMAGE_ID from the spec).
  // `sp` signs SNP reports (tee=sev-snp), `tdx` quotes TDREPORTs (tee=tdx); the other may be
  // null.
  static absl::StatusOr<std::unique_ptr<SimulatedSpBackend>> Create(
      const attest::simsp::SimulatedAmdSp* sp, const attest::simsp::SimulatedTdxQuoting* tdx,
      const pv::v1::PartitionSpec& spec, const attest::measure::Sha384& measurement);

  // A re-attached partition's backend from its persisted state (guest_request_state.h).
  static absl::StatusOr<std::unique_ptr<SimulatedSpBackend>> Restore(
      const attest::simsp::SimulatedAmdSp* sp, const attest::simsp::SimulatedTdxQuoting* tdx,
      const std::string& state_path);

  absl::StatusOr<std::vector<uint8_t>> GuestRequest(std::span<const uint8_t> message) override;
  // The simulated QE: the TDREPORT must be this partition's (MAC and hashes checked by the
  // simulated TDX module's key), then it is quoted.
  absl::StatusOr<std::vector<uint8_t>> GetQuote(std::span<const uint8_t> tdreport) override;

  // The SECRETS page the measured launch writes (VMPCK0-3).
  std::vector<uint8_t> SecretsPage() const { return server_->SecretsPage(); }
  attest::simsp::GuestRequestServer& server() { return *server_; }

 private:
  SimulatedSpBackend(std::unique_ptr<attest::simsp::GuestRequestServer> s,
                     const attest::simsp::SimulatedTdxQuoting* tdx)
      : server_(std::move(s)), tdx_(tdx) {}
  std::unique_ptr<attest::simsp::GuestRequestServer> server_;
  const attest::simsp::SimulatedTdxQuoting* tdx_;
};

// The simulated personalities for `Capabilities`, with the exported roots and collateral.
void DescribeSimulatedTees(const SimulatedPlatforms& platforms, pv::v1::CapabilitiesResponse* caps);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_SIM_SP_BACKEND_H_
