// TDCALL from a TD guest (Intel TDX module ABI, and the Guest-Hypervisor Communication Interface
// (GHCI) for TDG.VP.VMCALL): leaf numbers, status codes and the register interface, decoded from
// the guest's register values. Pure: ghci/tdcall_server.cpp serves the requests.
//
// TDCALL is 66 0F 01 CC; RAX = leaf. TDG.VP.VMCALL (leaf 0): RCX = bitmap of the GPRs the guest
// exposes to the VMM (bit n = GPR n; RAX, RCX and RSP can never be exposed, bits 63:16 are
// reserved), R10 = 0 for a GHCI standard call, R11 = the sub-function, R12..R15 its arguments.
// The TDCALL status comes back in RAX, the VMCALL status in R10, outputs in R11..R15.
#ifndef PV_GHCI_TDCALL_H_
#define PV_GHCI_TDCALL_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::ghci {

inline constexpr u8 kTdcall[4] = {0x66, 0x0f, 0x01, 0xcc};

namespace leaf {
inline constexpr u64 kVpVmcall = 0;
inline constexpr u64 kVpInfo = 1;
inline constexpr u64 kMrRtmrExtend = 2;
inline constexpr u64 kVpVeinfoGet = 3;
inline constexpr u64 kMrReport = 4;
}  // namespace leaf

// TDCALL completion status (RAX).
namespace status {
inline constexpr u64 kSuccess = 0;
inline constexpr u64 kOperandInvalid = 0xc000010000000000ull;
inline constexpr u64 kNoValidVeInfo = 0xc000070400000000ull;
}  // namespace status

// GHCI sub-functions (R11) of a standard TDG.VP.VMCALL.
namespace vmcall {
inline constexpr u64 kCpuid = 10;
inline constexpr u64 kHlt = 12;
inline constexpr u64 kIo = 30;
inline constexpr u64 kRdmsr = 31;
inline constexpr u64 kWrmsr = 32;
inline constexpr u64 kMmio = 48;  // #VE.RequestMMIO
inline constexpr u64 kGetTdVmCallInfo = 0x10000;
inline constexpr u64 kMapGpa = 0x10001;
inline constexpr u64 kGetQuote = 0x10002;
inline constexpr u64 kReportFatalError = 0x10003;
inline constexpr u64 kSetupEventNotifyInterrupt = 0x10004;
}  // namespace vmcall

// Vendor-specific TDG.VP.VMCALL (R10 != 0) the paravisor defines: R10 = 1 is its guest ABI
// hypercall (guest/abi.h), R11 = the number, R12..R14 = RDI, RSI, RDX; result in R11.
inline constexpr u64 kVendorParavisorAbi = 1;

// TDG.VP.VMCALL status (R10).
namespace vmcall_status {
inline constexpr u64 kSuccess = 0;
inline constexpr u64 kRetry = 1;
inline constexpr u64 kInvalidOperand = 0x8000000000000000ull;
inline constexpr u64 kGpaInUse = 0x8000000000000001ull;
inline constexpr u64 kAlignError = 0x8000000000000002ull;
}  // namespace vmcall_status

// GetQuote buffer header (shared page): version 1, status, in/out lengths, then data.
inline constexpr u64 kQuoteHeaderSize = 24;
inline constexpr u64 kQuoteStatusSuccess = 0;
inline constexpr u64 kQuoteStatusError = 0x8000000000000000ull;  // GET_QUOTE_ERROR
inline constexpr u64 kQuoteStatusServiceUnavailable = 0x8000000000000001ull;

// The header of a GetQuote buffer the guest shared (hostile bytes, `len` of them): version 1 and
// in_len within the buffer; the error names the field.
struct QuoteHeader {
  u64 version = 0;
  u64 status = 0;
  u32 in_len = 0;
  u32 out_len = 0;
};
Result<QuoteHeader> ParseQuoteHeader(const u8* buffer, u64 len);

// GPA width the TD reports (TDG.VP.INFO); the shared bit is GPAW - 1.
inline constexpr u8 kGpaWidth = 48;
inline constexpr u64 kSharedBit = 1ull << (kGpaWidth - 1);

// The exposure rules of TDG.VP.VMCALL's RCX.
inline constexpr u64 kNeverExposed = (1ull << 0) | (1ull << 1) | (1ull << 4);  // RAX, RCX, RSP
inline constexpr u64 kExposableMask = 0xffffull & ~kNeverExposed;

// The registers a TDCALL reads, in x86 order (index = GPR number).
struct TdcallRegisters {
  u64 gpr[16] = {};
};

enum class TdcallKind : u8 {
  kVmcall,
  kVpInfo,
  kRtmrExtend,
  kVeinfoGet,
  kMrReport,
  kUnknownLeaf,
  kBadExposure,  // VMCALL with a reserved or never-exposable bit in RCX
};

struct TdcallRequest {
  TdcallKind kind = TdcallKind::kUnknownLeaf;
  u64 leaf = 0;
  u64 exposed = 0;               // VMCALL: RCX
  bool standard = true;          // VMCALL: R10 == 0
  u64 vendor = 0;                // VMCALL: R10 (non-zero: a vendor-specific call)
  u64 subfunction = 0;           // VMCALL: R11
  u64 args[4] = {};              // VMCALL: R12..R15 (0 when not exposed)
  u64 rcx = 0, rdx = 0, r8 = 0;  // other leaves' operands
};

TdcallRequest DecodeTdcall(const TdcallRegisters& regs);

}  // namespace pv::ghci

#endif  // PV_GHCI_TDCALL_H_
