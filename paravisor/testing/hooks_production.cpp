// The production image has no test hooks.
#include "guest/abi.h"
#include "testing/hooks.h"

namespace pv::testing {

ExitAction HandleTestHypercall(Vcpu& vcpu, const Exit&) {
  vcpu.set_gpr(kRax, static_cast<u64>(abi::kHcErrNoSys));
  return ExitAction::kResumeNext;
}

void OnGuestStart(Vcpu&, const Cmdline&) {}

bool CheckAfterStop(Vcpu&) {
  return true;
}

}  // namespace pv::testing
