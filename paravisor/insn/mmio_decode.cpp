#include "insn/mmio_decode.h"

#include "insn/decode.h"

namespace pv::insn {
namespace {

// Bounded reader over the instruction bytes.
struct Cursor {
  const u8* bytes;
  usize available;
  usize pos = 0;

  Status Need(usize n) const {
    if (pos + n > kMaxInstructionLength) {
      return Status(Err::kInvalidArgument, "mmio decode: instruction longer than 15 bytes");
    }
    if (pos + n > available) return Status(Err::kOutOfRange, "mmio decode: instruction truncated");
    return Status::Ok();
  }
  u8 Next() { return bytes[pos++]; }
  u64 LittleEndian(usize n) {
    u64 v = 0;
    for (usize i = 0; i < n; ++i) v |= static_cast<u64>(bytes[pos + i]) << (8 * i);
    pos += n;
    return v;
  }
};

u64 SignExtend(u64 value, u8 from_bytes, u8 to_bytes) {
  const u64 sign = 1ull << (from_bytes * 8 - 1);
  u64 v = (value ^ sign) - sign;  // to 64 bits
  return to_bytes == 8 ? v : v & ((1ull << (to_bytes * 8)) - 1);
}

// Skips ModRM's memory addressing bytes (SIB, displacement); a register operand (mod 3) is not
// an MMIO access.
Status SkipMemoryOperand(Cursor& c, u8 modrm) {
  const u8 mod = modrm >> 6, rm = modrm & 7;
  if (mod == 3) return Status(Err::kUnsupported, "mmio decode: operand is a register, not memory");
  usize disp = mod == 1 ? 1 : (mod == 2 ? 4 : 0);
  if (rm == 4) {
    PV_TRY(c.Need(1));
    const u8 sib = c.Next();
    if (mod == 0 && (sib & 7) == 5) disp = 4;  // no base: disp32
  } else if (mod == 0 && rm == 5) {
    disp = 4;  // RIP-relative
  }
  PV_TRY(c.Need(disp));
  c.pos += disp;
  return Status::Ok();
}

}  // namespace

Result<MmioAccess> DecodeMmio(const u8* bytes, usize available) {
  Cursor c{bytes, available};
  bool opsize16 = false;
  u8 rex = 0;
  for (;;) {
    PV_TRY(c.Need(1));
    const u8 b = bytes[c.pos];
    if (b == 0xf0 || b == 0xf2 || b == 0xf3) {
      // LOCK/REP make no sense on a plain MOV (and LOCK MOV is #UD): not a device access.
      return Status(Err::kUnsupported, "mmio decode: LOCK or REP prefix");
    }
    if (IsLegacyPrefix(b)) {
      if (b == 0x66) opsize16 = true;
      rex = 0;  // a REX followed by another prefix is ignored
      ++c.pos;
    } else if ((b & 0xf0) == 0x40) {
      rex = b;
      ++c.pos;
    } else {
      break;
    }
  }
  const bool rex_w = rex & 0x08, rex_r = rex & 0x04;
  const u8 full_size = rex_w ? 8 : (opsize16 ? 2 : 4);

  MmioAccess a{};
  u8 op = c.Next();
  bool movzx = false;
  if (op == 0x0f) {
    PV_TRY(c.Need(1));
    op = c.Next();
    if (op != 0xb6 && op != 0xb7)
      return Status(Err::kUnsupported, "mmio decode: unsupported 0F opcode");
    movzx = true;
  }
  if (!movzx && op != 0x88 && op != 0x89 && op != 0x8a && op != 0x8b && op != 0xc6 && op != 0xc7) {
    return Status(Err::kUnsupported, "mmio decode: not a MOV to or from memory");
  }
  PV_TRY(c.Need(1));
  const u8 modrm = c.Next();
  const u8 reg_field = static_cast<u8>(((modrm >> 3) & 7) | (rex_r ? 8 : 0));
  PV_TRY(SkipMemoryOperand(c, modrm));

  if (movzx) {
    a.write = false;
    a.size = op == 0xb6 ? 1 : 2;
    a.dest_size = full_size;
    a.reg = reg_field;
  } else {
    switch (op) {
      case 0x88:
      case 0x8a:
        a.write = op == 0x88;
        a.size = a.dest_size = 1;
        a.reg = reg_field;
        // Without any REX, byte registers 4..7 are AH, CH, DH, BH.
        if (rex == 0 && reg_field >= 4 && reg_field < 8) {
          a.high_byte = true;
          a.reg = static_cast<u8>(reg_field - 4);
        }
        break;
      case 0x89:
      case 0x8b:
        a.write = op == 0x89;
        a.size = a.dest_size = full_size;
        a.reg = reg_field;
        break;
      case 0xc6:
      case 0xc7: {
        if (((modrm >> 3) & 7) != 0)
          return Status(Err::kUnsupported, "mmio decode: C6/C7 form is not MOV");
        a.write = true;
        a.has_immediate = true;
        a.size = a.dest_size = op == 0xc6 ? 1 : full_size;
        const u8 imm_size = a.size == 8 ? 4 : a.size;  // MOV r/m64, imm32 sign-extends
        PV_TRY(c.Need(imm_size));
        a.immediate = SignExtend(c.LittleEndian(imm_size), imm_size, a.size);
        break;
      }
      default:
        return Status(Err::kUnsupported, "mmio decode: not a MOV to or from memory");
    }
  }
  a.length = static_cast<u8>(c.pos);
  return a;
}

}  // namespace pv::insn
