#include "ghci/tdcall.h"

#include "lib/string.h"

namespace pv::ghci {

TdcallRequest DecodeTdcall(const TdcallRegisters& regs) {
  constexpr usize kRax = 0, kRcx = 1, kRdx = 2, kR8 = 8, kR10 = 10, kR11 = 11, kR12 = 12;
  TdcallRequest r;
  r.leaf = regs.gpr[kRax];
  switch (r.leaf) {
    case leaf::kVpVmcall: {
      r.exposed = regs.gpr[kRcx];
      if ((r.exposed & ~kExposableMask) != 0) {
        r.kind = TdcallKind::kBadExposure;
        return r;
      }
      r.kind = TdcallKind::kVmcall;
      const auto exposed = [&](usize gpr) { return ((r.exposed >> gpr) & 1) != 0; };
      // What the guest did not expose, the VMM never sees: it reads as 0.
      r.vendor = exposed(kR10) ? regs.gpr[kR10] : 0;
      r.standard = r.vendor == 0;
      r.subfunction = exposed(kR11) ? regs.gpr[kR11] : 0;
      for (usize i = 0; i < 4; ++i) r.args[i] = exposed(kR12 + i) ? regs.gpr[kR12 + i] : 0;
      return r;
    }
    case leaf::kVpInfo:
      r.kind = TdcallKind::kVpInfo;
      break;
    case leaf::kMrRtmrExtend:
      r.kind = TdcallKind::kRtmrExtend;
      break;
    case leaf::kVpVeinfoGet:
      r.kind = TdcallKind::kVeinfoGet;
      break;
    case leaf::kMrReport:
      r.kind = TdcallKind::kMrReport;
      break;
    default:
      r.kind = TdcallKind::kUnknownLeaf;
      return r;
  }
  r.rcx = regs.gpr[kRcx];
  r.rdx = regs.gpr[kRdx];
  r.r8 = regs.gpr[kR8];
  return r;
}

Result<QuoteHeader> ParseQuoteHeader(const u8* buffer, u64 len) {
  if (len < kQuoteHeaderSize) {
    return Status(Err::kOutOfRange, "GetQuote buffer shorter than its 24-byte header");
  }
  QuoteHeader h;
  memcpy(&h.version, buffer, 8);
  memcpy(&h.status, buffer + 8, 8);
  memcpy(&h.in_len, buffer + 16, 4);
  memcpy(&h.out_len, buffer + 20, 4);
  if (h.version != 1) return Status(Err::kUnsupported, "GetQuote header version is not 1");
  if (h.in_len > len - kQuoteHeaderSize) {
    return Status(Err::kOutOfRange, "GetQuote header in_len exceeds the buffer");
  }
  return h;
}

}  // namespace pv::ghci
