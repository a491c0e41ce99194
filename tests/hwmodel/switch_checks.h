// One randomized run of each world switch on the hardware model, and the properties checked on
// it. A run returns the list of violated properties (empty = every property held), so the same
// checks serve the >= 10,000-run property tests and the mutation tests, which require at least
// one violation from every deliberately broken routine.
#ifndef PV_TESTS_HWMODEL_SWITCH_CHECKS_H_
#define PV_TESTS_HWMODEL_SWITCH_CHECKS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "elf_image.h"
#include "vcpu/run_state.h"

namespace hwmodel {

struct SpecCtrlCase {
  bool present = true;
  bool intercepted = false;
  bool equal = false;
  static SpecCtrlCase Random(std::mt19937_64& rng);
};

// How the image was built: which MSR is "SPEC_CTRL" and whether it counts accesses.
struct ImageKind {
  uint32_t spec_ctrl_msr = 0x48;
  bool counters = false;
};

using Violations = std::vector<std::string>;

// A deterministic run, reproducing one of the emulator tests: fixed guest GPRs in and out, a
// fixed SPEC_CTRL case and values; the state after the run is handed back for the test's own
// assertions (on top of the properties).
struct FixedRun {
  std::array<uint64_t, 16> guest_in{};   // VcpuRunState::gprs before the entry
  std::array<uint64_t, 16> guest_out{};  // what the guest leaves in its registers
  SpecCtrlCase spec_ctrl;
  uint64_t host_spec_ctrl = 0;
  uint64_t guest_spec_ctrl = 0;
  std::optional<uint64_t> guest_writes;  // the guest's own SPEC_CTRL write (not intercepted)
  pv::VcpuRunState* after = nullptr;
};

// Instruction counts of the last run's last switch (from the model's trace): up to and including
// the entry instruction, and after it up to and including the final RET.
struct SwitchCounts {
  SpecCtrlCase spec_ctrl;
  long to_entry = 0;
  long after_exit = 0;
};
SwitchCounts LastCounts();

Violations RunSvmOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng,
                      const FixedRun* fixed = nullptr);
Violations RunSevEsOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng);
Violations RunVmxOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng,
                      const FixedRun* fixed = nullptr);
Violations RunTdxOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng);
// The same switches entered through their production C++ backends (svm::RunSevEsOnce writes
// the type-B host state and tail-calls the switch; tdx::EnterL2Once forms RCX and the buffer
// address), with the backend's effects checked too (TDX: the exit decoded into the exit model).
Violations RunSevEsBackendOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng);
Violations RunTdxBackendOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng);

}  // namespace hwmodel

#endif  // PV_TESTS_HWMODEL_SWITCH_CHECKS_H_
