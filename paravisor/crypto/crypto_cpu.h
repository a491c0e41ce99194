// CPU state the paravisor needs before it may call into libmbedcrypto.a (firmware only).
//
// - CR0.MP set, CR0.EM and CR0.TS clear, CR4.OSFXSR and CR4.OSXMMEXCPT set: SSE instructions
//   execute instead of raising #UD/#NM, and FXSAVE/FXRSTOR cover the XMM registers.
// - EFER.FFXSR clear (AMD fast FXSAVE would skip the XMM registers at CPL 0, see fpu_guard.h).
// - FS base pointing at a small TLS block whose word at +0x28 is the stack-protector canary:
//   Debian builds the library with -fstack-protector-strong, which reads %fs:0x28. The canary is
//   random (RDRAND/RDSEED) when the CPU has an entropy source.
// Must run before EnableHostVirtualization: SVM saves the host's FS base once (VMSAVE) and VMX
// copies CR0/CR4/FS base into the VMCS host-state area.
#ifndef PV_CRYPTO_CRYPTO_CPU_H_
#define PV_CRYPTO_CRYPTO_CPU_H_

namespace pv::crypto {

void InitCryptoCpu();

}  // namespace pv::crypto

#endif  // PV_CRYPTO_CRYPTO_CPU_H_
