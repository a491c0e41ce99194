#include "ghci/rtmr.h"

#include <mbedtls/sha512.h>

#include "crypto/fpu_guard.h"
#include "lib/string.h"

namespace pv::ghci {

Status ExtendRtmr(u8 rtmr[48], const u8 data[48]) {
  crypto::FpuGuard fpu;
  u8 input[96];
  memcpy(input, rtmr, 48);
  memcpy(input + 48, data, 48);
  u8 digest[64];
  const int rc = mbedtls_sha512_ret(input, sizeof(input), digest, /*is384=*/1);
  if (rc != 0) return Status(Err::kHardware, "rtmr: SHA-384 failed");
  memcpy(rtmr, digest, 48);
  return Status::Ok();
}

}  // namespace pv::ghci
