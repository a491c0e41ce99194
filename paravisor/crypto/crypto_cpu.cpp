#include "crypto/crypto_cpu.h"

#include "arch/cpu.h"
#include "crypto/entropy.h"
#include "lib/log.h"

namespace pv::crypto {
namespace {

constexpr u64 kCr0Em = 1ull << 2;
constexpr u64 kCr0Ts = 1ull << 3;
constexpr u64 kEferFfxsr = 1ull << 14;
constexpr usize kCanaryOffset = 0x28;  // where x86-64 GCC/clang read the canary from %fs

// The TLS block FS points at: the library only ever reads the canary, but the whole block is
// there so that an offset a future build of the library might use reads zeros, not code.
struct alignas(64) TlsBlock {
  u64 self;  // %fs:0, the TCB self pointer (the ABI's convention)
  u64 words[15];
};
static_assert(kCanaryOffset < sizeof(TlsBlock));
TlsBlock g_tls;

}  // namespace

void InitCryptoCpu() {
  arch::WriteCr0((arch::ReadCr0() | arch::kCr0Mp) & ~(kCr0Em | kCr0Ts));
  arch::WriteCr4(arch::ReadCr4() | arch::kCr4Osfxsr | arch::kCr4Osxmmexcpt);
  const u64 efer = arch::Rdmsr(arch::kMsrEfer);
  if (efer & kEferFfxsr) arch::Wrmsr(arch::kMsrEfer, efer & ~kEferFfxsr);

  u64 canary = 0;
  if (!GetHardwareEntropy(reinterpret_cast<u8*>(&canary), sizeof(canary)).ok()) {
    // No entropy source: the canary still catches accidental overwrites, not a deliberate
    // attack (the attestation client refuses to run without entropy anyway).
    canary = arch::Rdtsc() * 0x9e3779b97f4a7c15ull;
  }
  canary &= ~0xffull;  // a zero low byte stops string overflows from copying the canary
  g_tls.self = reinterpret_cast<u64>(&g_tls);
  g_tls.words[kCanaryOffset / 8 - 1] = canary;
  arch::Wrmsr(arch::kMsrFsBase, reinterpret_cast<u64>(&g_tls));
}

}  // namespace pv::crypto
