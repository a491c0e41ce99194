// The GHCB MSR protocol (AMD pub. 56421, section 2.3.1): requests an SEV-ES/SNP guest makes by
// writing GHCBData to the GHCB MSR (0xC0010130) and executing VMGEXIT, before (or instead of)
// using a GHCB page. GHCBData[11:0] is GHCBInfo (the request or response code), [63:12] its data;
// info 0 means the value is the GPA of a GHCB page (the full protocol, ghcb/nae.h).
//
// This file is pure: it decodes a guest's value into a request and encodes the paravisor's
// answer. ghcb/ghcb_server.cpp serves the requests against the partition.
#ifndef PV_GHCB_MSR_PROTOCOL_H_
#define PV_GHCB_MSR_PROTOCOL_H_

#include "lib/types.h"

namespace pv::ghcb {

inline constexpr u32 kMsrGhcb = 0xc0010130;

namespace msr_info {
inline constexpr u16 kGhcbGpa = 0x000;
inline constexpr u16 kSevInfoResponse = 0x001;
inline constexpr u16 kSevInfoRequest = 0x002;
inline constexpr u16 kCpuidRequest = 0x004;
inline constexpr u16 kCpuidResponse = 0x005;
inline constexpr u16 kApResetHoldRequest = 0x006;
inline constexpr u16 kApResetHoldResponse = 0x007;
inline constexpr u16 kPreferredGpaRequest = 0x010;
inline constexpr u16 kPreferredGpaResponse = 0x011;
inline constexpr u16 kRegisterGpaRequest = 0x012;
inline constexpr u16 kRegisterGpaResponse = 0x013;
inline constexpr u16 kPageStateRequest = 0x014;
inline constexpr u16 kPageStateResponse = 0x015;
inline constexpr u16 kHvFeaturesRequest = 0x080;
inline constexpr u16 kHvFeaturesResponse = 0x081;
inline constexpr u16 kTerminationRequest = 0x100;
}  // namespace msr_info

// "No GFN": the preferred-GPA answer without a preference, and the registration answer that
// refuses the GFN.
inline constexpr u64 kNoGfn = 0xfffffffffffffull;  // 52 bits
// Hypervisor feature bitmap (GHCB v2): bit 0 SEV-SNP.
inline constexpr u64 kHvFeatureSnp = 1ull << 0;
// Page-state-change operations ([55:52] of the request).
inline constexpr u8 kPscPrivate = 1;
inline constexpr u8 kPscShared = 2;
// C-bit position the SEV information answer reports (the emulated platform has no memory
// encryption; 51 is where EPYC parts put it).
inline constexpr u8 kCbitPosition = 51;

enum class MsrRequestKind : u8 {
  kGhcbGpa,  // full protocol: `gfn` is the GHCB page
  kSevInfo,
  kCpuid,  // `function`, `cpuid_register` (0 EAX, 1 EBX, 2 ECX, 3 EDX)
  kApResetHold,
  kPreferredGpa,
  kRegisterGpa,  // `gfn`
  kPageState,    // `gfn`, `psc_op`
  kHvFeatures,
  kTermination,  // `reason_set`, `reason_code`
  kUnknown,      // a GHCBInfo the protocol does not define (or a response code sent as request)
};

struct MsrRequest {
  MsrRequestKind kind = MsrRequestKind::kUnknown;
  u16 info = 0;
  u64 gfn = 0;
  u32 function = 0;
  u8 cpuid_register = 0;
  u8 psc_op = 0;
  u8 reason_set = 0;
  u8 reason_code = 0;
};

MsrRequest DecodeMsrRequest(u64 ghcb_data);

constexpr u64 EncodeSevInfo(u16 max_protocol, u16 min_protocol, u8 cbit) {
  return (static_cast<u64>(max_protocol) << 48) | (static_cast<u64>(min_protocol) << 32) |
         (static_cast<u64>(cbit) << 24) | msr_info::kSevInfoResponse;
}
constexpr u64 EncodeCpuidResponse(u8 cpuid_register, u32 value) {
  return (static_cast<u64>(value) << 32) | (static_cast<u64>(cpuid_register & 3) << 30) |
         msr_info::kCpuidResponse;
}
// Responses whose data is a GFN ([63:12]).
constexpr u64 EncodeGfnResponse(u16 info, u64 gfn) {
  return ((gfn & kNoGfn) << 12) | info;
}
constexpr u64 EncodePageStateResponse(u32 error) {
  return (static_cast<u64>(error) << 32) | msr_info::kPageStateResponse;
}

// Page-state-change error codes the paravisor answers with ([63:32] of the response; 0 = done).
inline constexpr u32 kPscErrorBadOperation = 1;
inline constexpr u32 kPscErrorOutsideGuest = 2;
inline constexpr u32 kPscErrorNoRoom = 3;

}  // namespace pv::ghcb

#endif  // PV_GHCB_MSR_PROTOCOL_H_
