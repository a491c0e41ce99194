// The GHCB page (AMD pub. 56421, "SEV-ES Guest-Hypervisor Communication Block Standardization",
// version 2): the 4 KiB page an SEV-ES/SNP guest shares with its hypervisor for one exchange.
// The save area uses the VMSA's offsets; only the fields the NAE events of ghcb/nae.h use are
// named, each offset pinned by a static_assert. The hypervisor may read a save-area field only
// if the guest set its bit in the valid bitmap (one bit per quadword: bit = offset / 8), and it
// sets the bits of the fields it returns.
//
// The page lives in memory the guest shares with the paravisor; it is copied once
// (ghcb/ghcb_server.cpp) and only the copy is checked and used.
#ifndef PV_GHCB_GHCB_PAGE_H_
#define PV_GHCB_GHCB_PAGE_H_

#include <stddef.h>

#include "lib/types.h"

namespace pv::ghcb {

inline constexpr u16 kProtocolMin = 1;
inline constexpr u16 kProtocolMax = 2;
inline constexpr u32 kUsageStandard = 0;
inline constexpr usize kSharedBufferOffset = 0x800;
inline constexpr usize kSharedBufferSize = 0x7f0;  // 0x800..0xfef

struct GhcbPage {
  u8 reserved_0x000[0x0cb];
  u8 cpl;  // 0x0cb
  u8 reserved_0x0cc[0x140 - 0x0cc];
  u64 xss;  // 0x140
  u8 reserved_0x148[0x1f8 - 0x148];
  u64 rax;  // 0x1f8
  u8 reserved_0x200[0x308 - 0x200];
  u64 rcx;  // 0x308
  u64 rdx;  // 0x310
  u64 rbx;  // 0x318
  u8 reserved_0x320[0x330 - 0x320];
  u64 rsi;  // 0x330
  u64 rdi;  // 0x338
  u8 reserved_0x340[0x390 - 0x340];
  u64 sw_exit_code;    // 0x390
  u64 sw_exit_info_1;  // 0x398
  u64 sw_exit_info_2;  // 0x3a0
  u64 sw_scratch;      // 0x3a8
  u8 reserved_0x3b0[0x3e8 - 0x3b0];
  u64 xcr0;             // 0x3e8
  u64 valid_bitmap[2];  // 0x3f0
  u8 reserved_0x400[kSharedBufferOffset - 0x400];
  u8 shared_buffer[kSharedBufferSize];  // 0x800
  u8 reserved_0xff0[0xffa - 0xff0];
  u16 protocol_version;  // 0xffa
  u32 ghcb_usage;        // 0xffc
};
static_assert(sizeof(GhcbPage) == 4096);
static_assert(offsetof(GhcbPage, cpl) == 0x0cb);
static_assert(offsetof(GhcbPage, xss) == 0x140);
static_assert(offsetof(GhcbPage, rax) == 0x1f8);
static_assert(offsetof(GhcbPage, rcx) == 0x308);
static_assert(offsetof(GhcbPage, rdx) == 0x310);
static_assert(offsetof(GhcbPage, rbx) == 0x318);
static_assert(offsetof(GhcbPage, rsi) == 0x330);
static_assert(offsetof(GhcbPage, rdi) == 0x338);
static_assert(offsetof(GhcbPage, sw_exit_code) == 0x390);
static_assert(offsetof(GhcbPage, sw_exit_info_1) == 0x398);
static_assert(offsetof(GhcbPage, sw_exit_info_2) == 0x3a0);
static_assert(offsetof(GhcbPage, sw_scratch) == 0x3a8);
static_assert(offsetof(GhcbPage, xcr0) == 0x3e8);
static_assert(offsetof(GhcbPage, valid_bitmap) == 0x3f0);
static_assert(offsetof(GhcbPage, shared_buffer) == 0x800);
static_assert(offsetof(GhcbPage, protocol_version) == 0xffa);
static_assert(offsetof(GhcbPage, ghcb_usage) == 0xffc);

// The save-area fields by byte offset, for the valid bitmap.
enum class Field : u16 {
  kCpl = 0x0cb,
  kXss = 0x140,
  kRax = 0x1f8,
  kRcx = 0x308,
  kRdx = 0x310,
  kRbx = 0x318,
  kRsi = 0x330,
  kRdi = 0x338,
  kSwExitCode = 0x390,
  kSwExitInfo1 = 0x398,
  kSwExitInfo2 = 0x3a0,
  kSwScratch = 0x3a8,
  kXcr0 = 0x3e8,
};

constexpr u32 ValidBit(Field f) {
  return static_cast<u32>(f) / 8;
}
static_assert(ValidBit(Field::kRax) == 63 && ValidBit(Field::kRcx) == 97 &&
              ValidBit(Field::kSwExitCode) == 114 && ValidBit(Field::kSwScratch) == 117 &&
              ValidBit(Field::kXcr0) == 125 && ValidBit(Field::kCpl) == 25);

inline bool IsValid(const GhcbPage& p, Field f) {
  const u32 bit = ValidBit(f);
  return (p.valid_bitmap[bit / 64] >> (bit % 64)) & 1;
}
inline void SetValid(GhcbPage& p, Field f) {
  const u32 bit = ValidBit(f);
  p.valid_bitmap[bit / 64] |= 1ull << (bit % 64);
}

// NAE event codes (SW_EXITCODE): the SVM exit codes of the intercepted instruction, plus the
// GHCB protocol's own events.
namespace exit_code {
inline constexpr u64 kRdtsc = 0x6e;
inline constexpr u64 kCpuid = 0x72;
inline constexpr u64 kInvd = 0x76;
inline constexpr u64 kIoio = 0x7b;
inline constexpr u64 kMsr = 0x7c;
inline constexpr u64 kVmmcall = 0x81;
inline constexpr u64 kRdtscp = 0x87;
inline constexpr u64 kWbinvd = 0x89;
inline constexpr u64 kNpf = 0x400;  // the #VC error code of an MMIO access (no NAE event)
inline constexpr u64 kMmioRead = 0x80000001;
inline constexpr u64 kMmioWrite = 0x80000002;
inline constexpr u64 kApResetHold = 0x80000004;
inline constexpr u64 kSnpGuestRequest = 0x80000011;
inline constexpr u64 kHvFeatures = 0x8000fffd;
inline constexpr u64 kTermination = 0x8000fffe;
}  // namespace exit_code

// SW_EXITINFO1[31:0] on return: 0 done, 1 inject the exception in SW_EXITINFO2, 2 an error in
// SW_EXITINFO2 (one of GhcbError).
inline constexpr u64 kResultOk = 0;
inline constexpr u64 kResultException = 1;
inline constexpr u64 kResultError = 2;
enum class GhcbError : u64 {
  kNotRegistered = 1,
  kInvalidUsage = 2,
  kInvalidScratchArea = 3,
  kMissingInput = 4,
  kInvalidInput = 5,
  kInvalidEvent = 6,
};

}  // namespace pv::ghcb

#endif  // PV_GHCB_GHCB_PAGE_H_
