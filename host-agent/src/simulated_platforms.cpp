#include "simulated_platforms.h"

#include "attest/simsp/state_files.h"
#include "log.h"

namespace pv::agent {

SimulatedPlatforms::~SimulatedPlatforms() {
  if (amd_warm_.joinable()) amd_warm_.join();
  if (tdx_warm_.joinable()) tdx_warm_.join();
}

void SimulatedPlatforms::WarmUp(bool amd, bool tdx) {
  // Errors are not fatal here: the start that needs the hierarchy retries and reports them.
  if (amd && !amd_warm_started_.exchange(true)) {
    amd_warm_ = std::thread([this] {
      if (auto loaded = Amd(); !loaded.ok()) {
        Log("simulated AMD-SP: background generation failed: ", loaded.status().ToString());
      }
    });
  }
  if (tdx && !tdx_warm_started_.exchange(true)) {
    tdx_warm_ = std::thread([this] {
      if (auto loaded = Tdx(); !loaded.ok()) {
        Log("simulated TDX quoting: background generation failed: ", loaded.status().ToString());
      }
    });
  }
}

absl::StatusOr<const attest::simsp::SimulatedAmdSp*> SimulatedPlatforms::Amd() {
  absl::MutexLock lock(&amd_mu_);
  if (amd_ == nullptr) {
    absl::StatusOr<std::unique_ptr<attest::simsp::SimulatedAmdSp>> loaded =
        attest::simsp::SimulatedAmdSp::LoadOrCreate(dir_);
    if (!loaded.ok()) return loaded.status();
    amd_ = *std::move(loaded);
  }
  return amd_.get();
}

absl::StatusOr<const attest::simsp::SimulatedTdxQuoting*> SimulatedPlatforms::Tdx() {
  // The TDX files live inside the AMD directory: make sure it exists (0700) first.
  if (absl::Status s = attest::simsp::MakeStateDir(dir_); !s.ok()) return s;
  absl::MutexLock lock(&tdx_mu_);
  if (tdx_ == nullptr) {
    absl::StatusOr<std::unique_ptr<attest::simsp::SimulatedTdxQuoting>> loaded =
        attest::simsp::SimulatedTdxQuoting::LoadOrCreate(TdxDir());
    if (!loaded.ok()) return loaded.status();
    tdx_ = *std::move(loaded);
  }
  return tdx_.get();
}

absl::StatusOr<SimulatedPlatforms::ForPartition> SimulatedPlatforms::For(bool tdx_personality) {
  ForPartition out;
  if (tdx_personality) {
    absl::StatusOr<const attest::simsp::SimulatedTdxQuoting*> loaded = Tdx();
    if (!loaded.ok()) return loaded.status();
    out.tdx = *loaded;
  } else {
    absl::StatusOr<const attest::simsp::SimulatedAmdSp*> loaded = Amd();
    if (!loaded.ok()) return loaded.status();
    out.amd = *loaded;
  }
  return out;
}

}  // namespace pv::agent
