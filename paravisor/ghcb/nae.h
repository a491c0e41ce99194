// NAE events through a GHCB page (AMD pub. 56421, section 4): decoding and validation of one
// copied GHCB into a request the paravisor can serve, and the rules for the answer. Pure: the
// caller (ghcb/ghcb_server.cpp) copies the page out of guest memory once, passes the copy here,
// and serves the request with the ordinary exit handlers.
//
// Validation, in this order (the first failure is the answer):
//   1. GHCB usage 0 (standard) and a protocol version in 1..2           -> INVALID_USAGE
//   2. SW_EXITCODE, SW_EXITINFO1, SW_EXITINFO2 valid                    -> MISSING_INPUT
//   3. the event is one the paravisor serves                            -> INVALID_EVENT
//   4. every input register the event reads is valid                    -> MISSING_INPUT
//   5. operands: IOIO size/address bits, MSR direction, MMIO length     -> INVALID_INPUT
//   6. SW_SCRATCH (string IO, MMIO) lies inside this GHCB's shared
//      buffer together with the whole transfer                          -> INVALID_SCRATCH_AREA
//   7. guest-request pages page-aligned and shared                      -> INVALID_INPUT
#ifndef PV_GHCB_NAE_H_
#define PV_GHCB_NAE_H_

#include "ghcb/ghcb_page.h"
#include "guest/shared_pages.h"
#include "lib/types.h"

namespace pv::ghcb {

enum class NaeKind : u8 {
  kCpuid,
  kIoio,
  kMsr,
  kMmioRead,
  kMmioWrite,
  kVmmcall,
  kRdtsc,
  kRdtscp,
  kWbinvd,
  kInvd,
  kApResetHold,
  kGuestRequest,
  kHvFeatures,
  kTermination,
};

struct NaeRequest {
  NaeKind kind = NaeKind::kCpuid;
  u64 exit_code = 0;
  u64 info1 = 0;
  u64 info2 = 0;
  // Inputs (only those the event reads, each checked valid).
  u64 rax = 0, rcx = 0, rdx = 0, rsi = 0, rdi = 0, xcr0 = 0;
  u8 cpl = 0;
  // IOIO (exit_info1 in the SVM IOIO format).
  u16 port = 0;
  u8 size = 0;  // 1, 2, 4
  bool in = false;
  bool string = false;
  u32 count = 0;  // string: repetitions (exit_info2)
  // MMIO and string IO: the data's offset in the shared buffer.
  u64 mmio_gpa = 0;
  u8 mmio_length = 0;
  usize buffer_offset = 0;
  usize buffer_length = 0;
  // MSR: write (exit_info1 = 1) or read (0).
  bool msr_write = false;
  // Guest request: the shared request and response pages.
  u64 request_gpa = 0, response_gpa = 0;
  // Termination (exit_info1): reason set [3:0], code [11:4].
  u8 reason_set = 0, reason_code = 0;
};

struct NaeDecode {
  bool ok = false;
  NaeRequest request;
  GhcbError error = GhcbError::kInvalidEvent;
  const char* why = "";  // for the log: which rule refused the GHCB
};

// `ghcb_gpa` is where the page lives (for SW_SCRATCH), `shared` the guest's shared pages.
NaeDecode DecodeNae(const GhcbPage& page, u64 ghcb_gpa, const SharedPages& shared);

// The answer starts from an empty valid bitmap; SetResult sets SW_EXITINFO1/2 (and their bits),
// SetOutput a returned register.
void BeginResponse(GhcbPage& page);
void SetResult(GhcbPage& page, u64 info1, u64 info2);
void SetError(GhcbPage& page, GhcbError error);
void SetOutput(GhcbPage& page, Field field, u64 value);

// SVM event-injection format for SW_EXITINFO2 when SW_EXITINFO1 = 1 (exception).
constexpr u64 EncodeException(u8 vector, bool has_error_code, u32 error_code) {
  return vector | (3ull << 8) | (has_error_code ? (1ull << 11) : 0) | (1ull << 31) |
         (has_error_code ? static_cast<u64>(error_code) << 32 : 0);
}

}  // namespace pv::ghcb

#endif  // PV_GHCB_NAE_H_
