// APIC MSR accesses for guests with an emulated local APIC (exits/handle_apic.cpp), called from
// the MSR exit handlers before their allow-list.
#ifndef PV_EXITS_HANDLE_APIC_H_
#define PV_EXITS_HANDLE_APIC_H_

#include "vcpu/vcpu.h"

namespace pv {

enum class ApicMsrResult : u8 {
  kNotApic,  // not an APIC MSR, or the guest has no emulated APIC: the caller decides
  kDone,     // handled (a read's value is in *value)
  kFault,    // the guest gets #GP
};

ApicMsrResult ApicMsrRead(Vcpu& vcpu, u32 msr, u64* value);
ApicMsrResult ApicMsrWrite(Vcpu& vcpu, u32 msr, u64 value);

// The xAPIC page (APIC_BASE's 4 KiB at 0xfee00000) of a guest whose APIC is in xAPIC mode.
bool IsGuestApicPage(const Vcpu& vcpu, u64 gpa);
// One decoded access to that page: 32-bit, 16-byte-aligned registers only. Returns the value
// read (0 for a write); an error stops the guest with the model's reason.
Result<u64> ApicMmioAccess(Vcpu& vcpu, u64 gpa, u8 size, bool write, u64 value);

}  // namespace pv

#endif  // PV_EXITS_HANDLE_APIC_H_
