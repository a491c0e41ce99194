// Hardware entropy for the paravisor's DRBG: RDSEED (a conditioned entropy source) when the CPU
// has it, else RDRAND (itself a DRBG output, reseeded by the CPU), each with a bounded number of
// retries. With neither instruction there is no entropy and every caller gets a clear error:
// the paravisor never falls back to the TSC or a constant.
#ifndef PV_CRYPTO_ENTROPY_H_
#define PV_CRYPTO_ENTROPY_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::crypto {

enum class EntropySource : u8 { kNone = 0, kRdseed, kRdrand };

// What this CPU offers (CPUID.7.0:EBX[18] RDSEED, CPUID.1:ECX[30] RDRAND).
EntropySource DetectEntropySource();
const char* EntropySourceName(EntropySource source);

// Fills `out` with `len` bytes from the best source; fails if there is none or if the source
// keeps reporting "not ready" (CF = 0) past its retry budget.
Status GetHardwareEntropy(u8* out, usize len);

}  // namespace pv::crypto

#endif  // PV_CRYPTO_ENTROPY_H_
