// Decodes the instruction behind an MMIO access (a nested page fault on a device address) so
// that the paravisor can perform the access on the guest's behalf: which register or immediate
// is moved, in which direction, and how wide. Only the plain data moves compilers and drivers
// use for device registers are accepted: MOV r/m,r (88/89), MOV r,r/m (8A/8B), MOV r/m,imm
// (C6/C7 /0) and MOVZX r,r/m (0F B6/B7), each with a memory operand. Anything else (string
// instructions, read-modify-write, SSE moves) is refused, and the guest is stopped with a report.
// The bytes are guest memory: every read is bounded by `available` and the 15-byte limit.
#ifndef PV_INSN_MMIO_DECODE_H_
#define PV_INSN_MMIO_DECODE_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::insn {

struct MmioAccess {
  u8 length;           // instruction length
  bool write;          // guest stores to the device (true) or loads from it
  u8 size;             // access width in bytes: 1, 2, 4 or 8
  bool has_immediate;  // a store of `immediate` rather than of a register
  u64 immediate;       // already sign-extended to `size` bytes
  u8 reg;              // x86 register number (0..15) of the register operand
  bool high_byte;      // 8-bit register AH/CH/DH/BH (reg holds RAX/RCX/RDX/RBX)
  u8 dest_size;        // loads: width written to the register (MOVZX widens), else = size
};

Result<MmioAccess> DecodeMmio(const u8* bytes, usize available);

}  // namespace pv::insn

#endif  // PV_INSN_MMIO_DECODE_H_
