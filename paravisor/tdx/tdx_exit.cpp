// The portable half of the TDX-partitioning backend (tdx/tdx_partition.h): detection from CPUID
// values and the decoding of TDG.VP.ENTER's outputs. Host tests build it too.
#include "tdx/tdx_partition.h"

#include "vmx/vmx_exit.h"

namespace pv::tdx {
namespace {

constexpr u32 kLeafTdx = 0x21;
// "IntelTDX    " in EBX, EDX, ECX.
constexpr u32 kSigEbx = 0x65746e49;  // "Inte"
constexpr u32 kSigEdx = 0x5844546c;  // "lTDX"
constexpr u32 kSigEcx = 0x20202020;  // "    "

}  // namespace

bool IsTdxGuestCpuid(u32 max_leaf, u32 ebx, u32 ecx, u32 edx) {
  return max_leaf >= kLeafTdx && ebx == kSigEbx && edx == kSigEdx && ecx == kSigEcx;
}

Exit DecodeTdxExit(const TdxExitRecord& exit, const L2EnterGuestState& state) {
  if ((exit.rax & kStatusMask) != kStatusSuccess) {
    Exit e;
    e.reason = ExitReason::kEntryFailure;
    e.raw_code = exit.rax;
    return e;
  }
  vmx::ExitInfo info;
  info.reason = static_cast<u32>(exit.rax & kExitReasonMask);
  info.qualification = exit.rcx;
  info.instruction_length = static_cast<u32>(exit.r11 >> 32);
  info.guest_physical = exit.r8;
  info.guest_rcx = state.gprs[kRcx];
  return vmx::DecodeVmxExit(info);
}

}  // namespace pv::tdx
