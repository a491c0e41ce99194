// The agent's side of the SIMULATED secure processor (attest/simsp; test platform, never a
// trust anchor): one AttestationBackend per partition with tee != none. The agent relays guest
// messages to it as ciphertext, as a host relays them to a real AMD-SP; the VMPCKs live in
// this object and in the partition's secrets page, nowhere else (never logged).
#ifndef PV_HOST_AGENT_SIM_SP_BACKEND_H_
#define PV_HOST_AGENT_SIM_SP_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "attest/measure/snp_launch_digest.h"
#include "attest/simsp/guest_request_server.h"
#include "attestation_backend.h"
#include "pv/v1/partition_manager.pb.h"

namespace pv::agent {

class SimulatedSpBackend : public AttestationBackend {
 public:
  // Per-partition VMPCKs and identity (POLICY, HOST_DATA, FAMILY_ID, IMAGE_ID from the spec).
  static absl::StatusOr<std::unique_ptr<SimulatedSpBackend>> Create(
      const attest::simsp::SimulatedAmdSp* sp, const pv::v1::PartitionSpec& spec,
      const attest::measure::Sha384& measurement);

  absl::StatusOr<std::vector<uint8_t>> GuestRequest(std::span<const uint8_t> message) override;
  absl::StatusOr<std::vector<uint8_t>> GetQuote(std::span<const uint8_t> tdreport) override;

  // The SECRETS page the measured launch writes (VMPCK0-3).
  std::vector<uint8_t> SecretsPage() const { return server_->SecretsPage(); }
  attest::simsp::GuestRequestServer& server() { return *server_; }

 private:
  explicit SimulatedSpBackend(std::unique_ptr<attest::simsp::GuestRequestServer> s)
      : server_(std::move(s)) {}
  std::unique_ptr<attest::simsp::GuestRequestServer> server_;
};

// The simulated personalities for `Capabilities`, with the exported roots under `sp_dir`.
void DescribeSimulatedTees(const std::string& sp_dir, pv::v1::CapabilitiesResponse* caps);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_SIM_SP_BACKEND_H_
