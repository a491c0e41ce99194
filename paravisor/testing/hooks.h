// Test hooks. The test image (paravisor-test.elf, PV_TEST_BUILD) implements them in
// testing/scenarios.cpp: guest-driven checks of the world switch that only the paravisor can
// observe (its saved register copy, the SPEC_CTRL counters, host MSR values). The production
// image links testing/hooks_production.cpp, where test hypercalls do not exist (-ENOSYS) and the
// other hooks do nothing.
#ifndef PV_TESTING_HOOKS_H_
#define PV_TESTING_HOOKS_H_

#include "exits/exit.h"
#include "lib/cmdline.h"
#include "vcpu/vcpu.h"

namespace pv::testing {

// Hypercalls at or above abi::kHcTestBase.
ExitAction HandleTestHypercall(Vcpu& vcpu, const Exit& exit);

// Called once the vCPU is set up, before its first entry, with the guest's module command line.
void OnGuestStart(Vcpu& vcpu, const Cmdline& guest_cmdline);

// Called after the guest stopped; false if the scenario's own checks failed (already logged).
bool CheckAfterStop(Vcpu& vcpu);

}  // namespace pv::testing

#endif  // PV_TESTING_HOOKS_H_
