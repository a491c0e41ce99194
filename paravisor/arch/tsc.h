// TSC frequency, measured against the PIT (1.193182 MHz) once. Under QEMU TCG the TSC runs at the
// host's rate; under Bochs it ticks once per emulated instruction.
#ifndef PV_ARCH_TSC_H_
#define PV_ARCH_TSC_H_

#include "lib/types.h"

namespace pv::arch {

u64 TscHz();

}  // namespace pv::arch

#endif  // PV_ARCH_TSC_H_
