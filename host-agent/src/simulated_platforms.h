// The agent's SIMULATED secure-processor hierarchies (attest/simsp; test platforms, never trust
// anchors), one per state directory: the AMD-shaped one (RSA-4096 ARK/ASK, about 6 s of CPU to
// generate) and the Intel-shaped TDX quoting one (P-256). Each is generated at most once, by
// whichever caller gets there first, while every other caller waits for it on that hierarchy's
// mutex; WarmUp() makes that caller a background thread, started when a tee != none partition is
// created (or found at startup), so the first measured start does not pay for the generation.
#ifndef PV_HOST_AGENT_SIMULATED_PLATFORMS_H_
#define PV_HOST_AGENT_SIMULATED_PLATFORMS_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "attest/simsp/sim_amd_sp.h"
#include "attest/simsp/sim_tdx_quoting.h"

namespace pv::agent {

class SimulatedPlatforms {
 public:
  // `dir` is <state>/simulated-sp: the AMD files directly in it, the TDX ones in tdx/.
  explicit SimulatedPlatforms(std::string dir) : dir_(std::move(dir)) {}
  ~SimulatedPlatforms();
  SimulatedPlatforms(const SimulatedPlatforms&) = delete;
  SimulatedPlatforms& operator=(const SimulatedPlatforms&) = delete;

  const std::string& AmdDir() const { return dir_; }
  std::string TdxDir() const { return dir_ + "/tdx"; }

  // Loads or generates the named hierarchies on background threads (each once; later calls do
  // nothing for it).
  void WarmUp(bool amd, bool tdx);
  // The loaded hierarchy; blocks while it is being generated. A failure is not cached: the
  // next caller tries again and gets its own error.
  absl::StatusOr<const attest::simsp::SimulatedAmdSp*> Amd();
  absl::StatusOr<const attest::simsp::SimulatedTdxQuoting*> Tdx();
  // Only the hierarchy a personality needs: the TDX one for tdx, else the AMD one (the other
  // pointer stays null).
  struct ForPartition {
    const attest::simsp::SimulatedAmdSp* amd = nullptr;
    const attest::simsp::SimulatedTdxQuoting* tdx = nullptr;
  };
  absl::StatusOr<ForPartition> For(bool tdx_personality);

 private:
  const std::string dir_;
  absl::Mutex amd_mu_;
  std::unique_ptr<attest::simsp::SimulatedAmdSp> amd_ ABSL_GUARDED_BY(amd_mu_);
  absl::Mutex tdx_mu_;
  std::unique_ptr<attest::simsp::SimulatedTdxQuoting> tdx_ ABSL_GUARDED_BY(tdx_mu_);
  std::atomic<bool> amd_warm_started_{false}, tdx_warm_started_{false};
  std::thread amd_warm_, tdx_warm_;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_SIMULATED_PLATFORMS_H_
