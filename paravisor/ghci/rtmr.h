// RTMR extension for TDG.MR.RTMR.EXTEND: RTMR = SHA-384(RTMR || data), as the TDX module does.
// Implemented with mbedTLS inside a crypto::FpuGuard (ghci/rtmr.cpp).
#ifndef PV_GHCI_RTMR_H_
#define PV_GHCI_RTMR_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::ghci {

Status ExtendRtmr(u8 rtmr[48], const u8 data[48]);

}  // namespace pv::ghci

#endif  // PV_GHCI_RTMR_H_
