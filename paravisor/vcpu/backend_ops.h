// The few operations generic code (test scenarios, future device models) needs from whichever
// backend runs a vCPU. Implemented with a switch on vcpu.backend and direct calls: no function
// pointers, so nothing here introduces an indirect branch.
#ifndef PV_VCPU_BACKEND_OPS_H_
#define PV_VCPU_BACKEND_OPS_H_

#include "guest/boot_state.h"
#include "vcpu/vcpu.h"

namespace pv {

// A new guest's registers from its entry state, all available and clean (the backend has just
// written the same values into its VMCB/VMCS). `efer` is the value the backend runs it with.
void LoadEntryRegisters(Vcpu& vcpu, const GuestEntryState& entry, u64 efer);

void SetMsrInterception(Vcpu& vcpu, u32 msr, bool read, bool write);

// Makes RDTSC exit. The exit model has no handler for it, so a guest executing RDTSC then takes
// the "unknown exit" path (used by the misbehaving-guest tests).
void InterceptRdtsc(Vcpu& vcpu);

// Benchmark baseline (see svm::BareRoundTrips). Returns TSC ticks for `count` round trips.
u64 BareRoundTrips(Vcpu& vcpu, u64 rip, u64 count);

}  // namespace pv

#endif  // PV_VCPU_BACKEND_OPS_H_
