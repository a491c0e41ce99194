#include "insn/decode.h"

namespace pv::insn {
namespace {

// Whether `needed` bytes fit: longer than 15 is an invalid instruction (#GP on hardware),
// otherwise needing more than `available` means the bytes ran out.
Status Fits(usize needed, usize available) {
  if (needed > kMaxInstructionLength) {
    return Status(Err::kInvalidArgument, "decode: instruction longer than 15 bytes");
  }
  if (needed > available) return Status(Err::kOutOfRange, "decode: instruction truncated");
  return Status::Ok();
}

Result<Decoded> Make(Decoded d, usize length, usize available) {
  if (length > kMaxInstructionLength) {
    return Status(Err::kInvalidArgument, "decode: instruction longer than 15 bytes");
  }
  if (length > available) return Status(Err::kOutOfRange, "decode: instruction truncated");
  d.length = static_cast<u8>(length);
  return d;
}

}  // namespace

bool IsLegacyPrefix(u8 b) {
  switch (b) {
    case 0x26:
    case 0x2e:
    case 0x36:
    case 0x3e:
    case 0x64:
    case 0x65:  // segment overrides
    case 0x66:
    case 0x67:  // operand/address size
    case 0xf0:
    case 0xf2:
    case 0xf3:  // lock, repne, rep
      return true;
    default:
      return false;
  }
}

Result<Decoded> Decode(const u8* bytes, usize available) {
  Decoded d{};
  usize i = 0;
  const usize limit = available < kMaxInstructionLength ? available : kMaxInstructionLength;
  // Legacy prefixes and REX, in any order. A REX counts only if it immediately precedes the
  // opcode; one followed by another prefix is ignored, as the CPU ignores it.
  while (i < limit) {
    const u8 b = bytes[i];
    if (IsLegacyPrefix(b)) {
      if (b == 0x66) d.operand_size_prefix = true;
      if (b == 0x67) d.address_size_prefix = true;
      if (b == 0xf3 || b == 0xf2) d.rep = true;
      d.rex_w = false;
    } else if ((b & 0xf0) == 0x40) {
      d.rex_w = (b & 0x08) != 0;
    } else {
      break;
    }
    ++i;
  }
  PV_TRY(Fits(i + 1, available));
  const u8 op = bytes[i];
  switch (op) {
    case 0xf4:
      d.kind = Kind::kHlt;
      return Make(d, i + 1, available);
    case 0xe4:
    case 0xe5:
      d.kind = Kind::kInImm;
      return Make(d, i + 2, available);
    case 0xe6:
    case 0xe7:
      d.kind = Kind::kOutImm;
      return Make(d, i + 2, available);
    case 0xec:
    case 0xed:
      d.kind = Kind::kInDx;
      return Make(d, i + 1, available);
    case 0xee:
    case 0xef:
      d.kind = Kind::kOutDx;
      return Make(d, i + 1, available);
    case 0x6c:
    case 0x6d:
      d.kind = Kind::kIns;
      return Make(d, i + 1, available);
    case 0x6e:
    case 0x6f:
      d.kind = Kind::kOuts;
      return Make(d, i + 1, available);
    case 0x0f:
      break;
    default:
      return Status(Err::kUnsupported, "decode: opcode is not one that exits");
  }
  PV_TRY(Fits(i + 2, available));
  switch (bytes[i + 1]) {
    case 0xa2:
      d.kind = Kind::kCpuid;
      return Make(d, i + 2, available);
    case 0x30:
      d.kind = Kind::kWrmsr;
      return Make(d, i + 2, available);
    case 0x31:
      d.kind = Kind::kRdtsc;
      return Make(d, i + 2, available);
    case 0x08:
      d.kind = Kind::kInvd;
      return Make(d, i + 2, available);
    case 0x32:
      d.kind = Kind::kRdmsr;
      return Make(d, i + 2, available);
    case 0x01:
      break;
    default:
      return Status(Err::kUnsupported, "decode: 0F opcode is not one that exits");
  }
  PV_TRY(Fits(i + 3, available));
  switch (bytes[i + 2]) {
    case 0xc1:
      d.kind = Kind::kVmcall;
      break;
    case 0xc8:
      d.kind = Kind::kMonitor;
      break;
    case 0xc9:
      d.kind = Kind::kMwait;
      break;
    case 0xd1:
      d.kind = Kind::kXsetbv;
      break;
    case 0xd8:
      d.kind = Kind::kVmrun;
      break;
    case 0xd9:
      d.kind = Kind::kVmmcall;
      break;
    case 0xda:
      d.kind = Kind::kVmload;
      break;
    case 0xdb:
      d.kind = Kind::kVmsave;
      break;
    case 0xdc:
      d.kind = Kind::kStgi;
      break;
    case 0xdd:
      d.kind = Kind::kClgi;
      break;
    case 0xde:
      d.kind = Kind::kSkinit;
      break;
    case 0xdf:
      d.kind = Kind::kInvlpga;
      break;
    default:
      return Status(Err::kUnsupported, "decode: 0F 01 form is not one that exits");
  }
  return Make(d, i + 3, available);
}

bool IsSvmInstruction(Kind kind) {
  switch (kind) {
    case Kind::kVmrun:
    case Kind::kVmmcall:
    case Kind::kVmload:
    case Kind::kVmsave:
    case Kind::kStgi:
    case Kind::kClgi:
    case Kind::kSkinit:
    case Kind::kInvlpga:
      return true;
    default:
      return false;
  }
}

}  // namespace pv::insn
