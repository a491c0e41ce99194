// The paravisor's random number generator: mbedTLS CTR_DRBG (AES-256), seeded and reseeded
// from RDSEED/RDRAND (crypto/entropy.h), with prediction resistance off and mbedTLS's default
// reseed interval. Without an entropy source InitDrbg fails and so does every Generate.
#ifndef PV_CRYPTO_DRBG_H_
#define PV_CRYPTO_DRBG_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::crypto {

// Seeds the DRBG (personalisation string: "pv-paravisor-drbg"). Idempotent once it succeeded.
Status InitDrbg();
bool DrbgReady();

// At most kMaxDrbgRequest bytes per call (the CTR_DRBG request limit).
inline constexpr usize kMaxDrbgRequest = 1024;
Status DrbgGenerate(u8* out, usize len);

// Two generated blocks must differ and not be all zero (a DRBG that runs, not a proof of
// randomness); logs the entropy source. For the paravisor command line `drbg-selftest`.
Status DrbgSelfTest();

// The raw mbedTLS generator callback and its context, for mbedTLS APIs that take an RNG
// (ECDSA signing, key generation). Valid once InitDrbg succeeded.
int DrbgCallback(void* context, unsigned char* out, size_t len);
void* DrbgContext();

}  // namespace pv::crypto

#endif  // PV_CRYPTO_DRBG_H_
