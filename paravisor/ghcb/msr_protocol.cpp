#include "ghcb/msr_protocol.h"

namespace pv::ghcb {

MsrRequest DecodeMsrRequest(u64 ghcb_data) {
  MsrRequest r;
  r.info = static_cast<u16>(ghcb_data & 0xfff);
  const u64 data = ghcb_data >> 12;
  switch (r.info) {
    case msr_info::kGhcbGpa:
      r.kind = MsrRequestKind::kGhcbGpa;
      r.gfn = data;
      break;
    case msr_info::kSevInfoRequest:
      r.kind = MsrRequestKind::kSevInfo;
      break;
    case msr_info::kCpuidRequest:
      r.kind = MsrRequestKind::kCpuid;
      r.cpuid_register = static_cast<u8>((ghcb_data >> 30) & 3);
      r.function = static_cast<u32>(ghcb_data >> 32);
      break;
    case msr_info::kApResetHoldRequest:
      r.kind = MsrRequestKind::kApResetHold;
      break;
    case msr_info::kPreferredGpaRequest:
      r.kind = MsrRequestKind::kPreferredGpa;
      break;
    case msr_info::kRegisterGpaRequest:
      r.kind = MsrRequestKind::kRegisterGpa;
      r.gfn = data;
      break;
    case msr_info::kPageStateRequest:
      r.kind = MsrRequestKind::kPageState;
      r.gfn = data & ((1ull << 40) - 1);  // [51:12]
      r.psc_op = static_cast<u8>((ghcb_data >> 52) & 0xf);
      break;
    case msr_info::kHvFeaturesRequest:
      r.kind = MsrRequestKind::kHvFeatures;
      break;
    case msr_info::kTerminationRequest:
      r.kind = MsrRequestKind::kTermination;
      r.reason_set = static_cast<u8>((ghcb_data >> 12) & 0xf);
      r.reason_code = static_cast<u8>((ghcb_data >> 16) & 0xff);
      break;
    default:
      r.kind = MsrRequestKind::kUnknown;
      break;
  }
  return r;
}

}  // namespace pv::ghcb
