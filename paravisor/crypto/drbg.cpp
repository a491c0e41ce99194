#include "crypto/drbg.h"

#include <mbedtls/ctr_drbg.h>

#include "crypto/aes_gcm.h"
#include "crypto/entropy.h"
#include "crypto/fpu_guard.h"

namespace pv::crypto {
namespace {

mbedtls_ctr_drbg_context g_drbg;
bool g_ready = false;

// mbedTLS's entropy callback: exactly `len` bytes from the hardware or an error, which makes
// the seed/reseed fail (MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED).
int HardwareEntropy(void*, unsigned char* out, size_t len) {
  return GetHardwareEntropy(out, len).ok() ? 0 : -1;
}

constexpr char kPersonalisation[] = "pv-paravisor-drbg";

}  // namespace

Status InitDrbg() {
  if (g_ready) return Status::Ok();
  if (DetectEntropySource() == EntropySource::kNone) {
    return Status(Err::kUnsupported,
                  "drbg: no entropy source (the CPU has neither RDSEED nor RDRAND)");
  }
  FpuGuard fpu;
  mbedtls_ctr_drbg_init(&g_drbg);
  const int rc = mbedtls_ctr_drbg_seed(&g_drbg, HardwareEntropy, nullptr,
                                       reinterpret_cast<const unsigned char*>(kPersonalisation),
                                       sizeof(kPersonalisation) - 1);
  if (rc != 0) {
    mbedtls_ctr_drbg_free(&g_drbg);
    return Status(Err::kHardware, "drbg: seeding CTR_DRBG from the hardware failed");
  }
  g_ready = true;
  return Status::Ok();
}

bool DrbgReady() {
  return g_ready;
}

Status DrbgGenerate(u8* out, usize len) {
  if (!g_ready) return Status(Err::kUnsupported, "drbg: not seeded");
  if (len > kMaxDrbgRequest) return Status(Err::kOutOfRange, "drbg: request above 1024 bytes");
  FpuGuard fpu;
  if (mbedtls_ctr_drbg_random(&g_drbg, out, len) != 0) {
    return Status(Err::kHardware, "drbg: generate failed (reseed from the hardware failed)");
  }
  return Status::Ok();
}

Status DrbgSelfTest() {
  PV_TRY(InitDrbg());
  u8 a[32], b[32];
  PV_TRY(DrbgGenerate(a, sizeof(a)));
  PV_TRY(DrbgGenerate(b, sizeof(b)));
  bool same = true, zero = true;
  for (usize i = 0; i < sizeof(a); ++i) {
    same = same && a[i] == b[i];
    zero = zero && a[i] == 0;
  }
  SecureZero(a, sizeof(a));
  SecureZero(b, sizeof(b));
  if (same || zero) return Status(Err::kHardware, "drbg: self-test: repeated or zero output");
  return Status::Ok();
}

int DrbgCallback(void* context, unsigned char* out, size_t len) {
  return mbedtls_ctr_drbg_random(context, out, len);
}

void* DrbgContext() {
  return &g_drbg;
}

}  // namespace pv::crypto
