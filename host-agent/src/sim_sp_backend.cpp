#include "sim_sp_backend.h"

#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace pv::agent {

absl::StatusOr<std::unique_ptr<SimulatedSpBackend>> SimulatedSpBackend::Create(
    const attest::simsp::SimulatedAmdSp* sp, const attest::simsp::SimulatedTdxQuoting* tdx,
    const pv::v1::PartitionSpec& spec, const attest::measure::Sha384& measurement) {
  attest::simsp::PartitionIdentity id;
  id.measurement = measurement;
  id.tdx_personality = spec.tee() == pv::v1::TEE_TDX;
  id.td_attributes = spec.policy().debug() ? 1 : 0;  // TD_ATTRIBUTES.DEBUG
  if (spec.snp_policy() != 0) id.policy = spec.snp_policy();
  // POLICY.DEBUG (bit 19) follows the partition's debug policy.
  if (spec.policy().debug()) id.policy |= uint64_t{1} << 19;
  // Lengths were checked by ValidateMeasuredLaunchSpec; copy at most the field size anyway.
  auto copy = [](const std::string& from, auto& to) {
    std::copy_n(from.begin(), std::min(from.size(), to.size()), to.begin());
  };
  copy(spec.host_data(), id.host_data);
  copy(spec.family_id(), id.family_id);
  copy(spec.image_id(), id.image_id);
  absl::StatusOr<std::unique_ptr<attest::simsp::GuestRequestServer>> server =
      attest::simsp::GuestRequestServer::Create(sp, id);
  if (!server.ok()) return server.status();
  return std::unique_ptr<SimulatedSpBackend>(new SimulatedSpBackend(*std::move(server), tdx));
}

absl::StatusOr<std::unique_ptr<SimulatedSpBackend>> SimulatedSpBackend::Restore(
    const attest::simsp::SimulatedAmdSp* sp, const attest::simsp::SimulatedTdxQuoting* tdx,
    const std::string& state_path) {
  absl::StatusOr<std::unique_ptr<attest::simsp::GuestRequestServer>> server =
      attest::simsp::GuestRequestServer::Restore(sp, state_path);
  if (!server.ok()) return server.status();
  return std::unique_ptr<SimulatedSpBackend>(new SimulatedSpBackend(*std::move(server), tdx));
}

absl::StatusOr<std::vector<uint8_t>> SimulatedSpBackend::GuestRequest(
    std::span<const uint8_t> message) {
  return server_->Handle(message);
}

absl::StatusOr<std::vector<uint8_t>> SimulatedSpBackend::GetQuote(
    std::span<const uint8_t> tdreport) {
  if (tdx_ == nullptr) {
    return absl::FailedPreconditionError(
        "GetQuote: this partition's simulated platform is not the TDX personality");
  }
  if (absl::Status s = server_->CheckTdReport(tdreport); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("GetQuote: ", s.message()));
  }
  return tdx_->Quote(tdreport);
}

void DescribeSimulatedTees(const SimulatedPlatforms& platforms,
                           pv::v1::CapabilitiesResponse* caps) {
  const std::string& sp_dir = platforms.AmdDir();
  struct stat st;
  const bool exists = ::stat((sp_dir + "/vcek.der").c_str(), &st) == 0;
  pv::v1::SimulatedTee* snp = caps->add_simulated_tees();
  snp->set_tee(pv::v1::TEE_SEV_SNP);
  snp->set_name(attest::simsp::kSimulatedAmdSpName);
  snp->set_available(true);
  snp->set_detail(exists ? "measured launch + ATTESTATION_REPORT v5 (VCEK-signed)"
                         : "measured launch + ATTESTATION_REPORT v5; hierarchy created when the "
                           "first tee=sev-snp|tdx partition is created");
  if (exists) {
    snp->set_root_certificate(sp_dir + "/ark.pem");
    snp->set_chain(sp_dir + "/cert_chain.pem");
    snp->set_vcek(sp_dir + "/vcek.der");
  }
  const std::string tdx_dir = platforms.TdxDir();
  const bool tdx_exists = ::stat((tdx_dir + "/pck-chain.pem").c_str(), &st) == 0;
  pv::v1::SimulatedTee* tdx = caps->add_simulated_tees();
  tdx->set_tee(pv::v1::TEE_TDX);
  tdx->set_name(attest::simsp::kSimulatedTdxName);
  tdx->set_available(true);
  if (tdx_exists) {
    tdx->set_root_certificate(tdx_dir + "/root.pem");
    tdx->set_chain(tdx_dir + "/pck-chain.pem");
    tdx->set_collateral_dir(tdx_dir + "/collateral");
    tdx->set_detail(
        absl::StrCat("measured launch with MRTD, MAC'd TDREPORT, v4 quotes (simulated "
                     "QE, PCK chain); verify with --allow-root ",
                     tdx->root_certificate(), " --collateral-dir ", tdx->collateral_dir()));
  } else {
    tdx->set_detail(
        "measured launch with MRTD, MAC'd TDREPORT, v4 quotes (simulated QE, PCK chain); "
        "hierarchy created when the first tee=sev-snp|tdx partition is created");
  }
}

}  // namespace pv::agent
