// Keeps the guest's FPU/SSE state intact around the paravisor's own use of SSE.
//
// The firmware is built with -mgeneral-regs-only, so between two guest entries the x87/SSE
// registers still hold whatever the guest left there (neither VMRUN nor VM exits switch them).
// Debian's libmbedcrypto.a is ordinary x86-64 code and uses SSE2 (and AES-NI/PCLMULQDQ when the
// CPU has them), so every call into it runs inside an FpuGuard: the guest's state is saved with
// FXSAVE64, the paravisor computes with a clean MXCSR and x87 control word, and FXRSTOR64 puts
// the guest's state back — which also overwrites every XMM register the crypto used, so no key
// material is left in a register the guest can read.
//
// Why FXSAVE and not XSAVE: libmbedcrypto is compiled without AVX, and legacy-SSE encodings
// leave the upper halves of the YMM/ZMM registers and every other XSAVE component untouched, so
// the x87+SSE part FXSAVE covers is exactly what the crypto can change. (AMD's fast FXSAVE,
// EFER.FFXSR, would skip the XMM registers at CPL 0: InitCryptoCpu clears it.)
//
// Guards nest (an inner guard is a no-op); the paravisor runs one vCPU, so one save area is
// enough. Portable: FXSAVE/FXRSTOR are unprivileged, so host unit tests use the same guard.
#ifndef PV_CRYPTO_FPU_GUARD_H_
#define PV_CRYPTO_FPU_GUARD_H_

#include "lib/types.h"

namespace pv::crypto {

class FpuGuard {
 public:
  FpuGuard();
  ~FpuGuard();
  FpuGuard(const FpuGuard&) = delete;
  FpuGuard& operator=(const FpuGuard&) = delete;

  // Guards entered so far (statistics for tests: proves the guard ran).
  static u64 Entries();
};

}  // namespace pv::crypto

#endif  // PV_CRYPTO_FPU_GUARD_H_
