// Decodes the instruction that caused an exit, to learn its length when the hardware does not
// report it (SVM without NRIP save, as under QEMU TCG) and to confirm it is the instruction the
// exit claims. Only the instructions that cause the exits the paravisor handles are recognised;
// anything else is reported, never guessed. The bytes are guest memory: every read is bounded by
// `available`, and the architectural 15-byte limit is enforced.
#ifndef PV_INSN_DECODE_H_
#define PV_INSN_DECODE_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::insn {

constexpr usize kMaxInstructionLength = 15;

enum class Kind : u8 {
  kCpuid,
  kRdmsr,
  kWrmsr,
  kRdtsc,
  kHlt,
  kInvd,
  kVmmcall,
  kVmcall,
  kVmrun,
  kVmload,
  kVmsave,
  kStgi,
  kClgi,
  kSkinit,
  kInvlpga,
  kXsetbv,
  kMonitor,
  kMwait,
  kInImm,
  kInDx,
  kOutImm,
  kOutDx,
  kIns,
  kOuts,
};

struct Decoded {
  Kind kind;
  u8 length;
  bool operand_size_prefix;  // 0x66
  bool address_size_prefix;  // 0x67
  bool rep;                  // 0xF3 (0xF2 too for string I/O)
  bool rex_w;
};

Result<Decoded> Decode(const u8* bytes, usize available);

// VMRUN, VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA (0F 01 D8..DF).
bool IsSvmInstruction(Kind kind);

// Legacy prefixes: segment overrides, operand/address size, LOCK, REPNE, REP.
bool IsLegacyPrefix(u8 byte);

}  // namespace pv::insn

#endif  // PV_INSN_DECODE_H_
