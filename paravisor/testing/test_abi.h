// Hypercalls of the test image (paravisor-test.elf) and the values its test guests use.
// Exported to NASM through entry/asm_offsets.cpp, like the production guest ABI.
#ifndef PV_TESTING_TEST_ABI_H_
#define PV_TESTING_TEST_ABI_H_

#include "guest/abi.h"

namespace pv::testing {

// GPR round trip: RAX itself is the 15th pattern, so this number doubles as RAX's pattern.
constexpr u64 kHcTestGpr = abi::kHcTestBase + 0x4750520001ull;
constexpr u64 kHcTestRip = abi::kHcTestBase + 1;        // -> the RIP the paravisor saw
constexpr u64 kHcTestSpecCtrl = abi::kHcTestBase + 2;   // RDI = phase -> 0 or -phase on failure
constexpr u64 kHcTestCanary = abi::kHcTestBase + 3;     // RDI = GPA the guest will hit -> canary PA
constexpr u64 kHcTestGetIters = abi::kHcTestBase + 4;   // -> `iters=` of the guest's cmdline
constexpr u64 kHcTestBenchMark = abi::kHcTestBase + 5;  // start/stop the full-path timer
constexpr u64 kHcTestBenchBare = abi::kHcTestBase + 6;  // RDI = bare loop GVA: run the baseline
constexpr u64 kHcTestExitCount = abi::kHcTestBase + 7;  // -> exits of this vCPU so far

// Pattern the guest loads into GPR `r` (x86 encoding) before kHcTestGpr; the paravisor answers
// with the complement of each pattern in every register, RAX included.
constexpr u64 GprPattern(unsigned r) {
  return r == 0 ? kHcTestGpr
                : (0x0f1e2d3c4b5a6978ull ^ (0x0101010101010101ull * r) ^ (u64{r} << 60));
}

constexpr u64 kSpecCtrlHostValue = 0x5a5a;  // the host value the spec-ctrl scenario runs with

}  // namespace pv::testing

#endif  // PV_TESTING_TEST_ABI_H_
