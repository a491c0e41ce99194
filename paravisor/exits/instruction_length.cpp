// Length of the exiting instruction, for advancing RIP past it.
#include "exits/handlers.h"
#include "insn/decode.h"

namespace pv {
namespace {

// Which decoded instructions can legitimately cause each exit.
bool KindMatches(ExitReason reason, insn::Kind kind) {
  switch (reason) {
    case ExitReason::kCpuid:
      return kind == insn::Kind::kCpuid;
    case ExitReason::kMsrRead:
      return kind == insn::Kind::kRdmsr;
    case ExitReason::kMsrWrite:
      return kind == insn::Kind::kWrmsr;
    case ExitReason::kHlt:
      return kind == insn::Kind::kHlt;
    case ExitReason::kCacheInvalidate:
      return kind == insn::Kind::kInvd;
    case ExitReason::kXsetbv:
      return kind == insn::Kind::kXsetbv;
    case ExitReason::kHypercall:
      return kind == insn::Kind::kVmmcall || kind == insn::Kind::kVmcall;
    case ExitReason::kIo:
      return kind == insn::Kind::kInImm || kind == insn::Kind::kInDx ||
             kind == insn::Kind::kOutImm || kind == insn::Kind::kOutDx ||
             kind == insn::Kind::kIns || kind == insn::Kind::kOuts;
    default:
      return false;
  }
}

}  // namespace

Result<usize> FetchInstructionBytes(Vcpu& vcpu, u8 (&bytes)[insn::kMaxInstructionLength]) {
  // Up to 15 bytes, fewer if the page after the one holding RIP is not mapped. The guest's
  // bytes are copied once; decoding uses only the copy.
  usize available = insn::kMaxInstructionLength;
  const GuestPaging paging = vcpu.paging();
  const u64 rip = vcpu.rip();
  if (!vcpu.memory.ReadGva(paging, rip, bytes, available).ok()) {
    const u64 to_page_end = kPageSize - (rip & (kPageSize - 1));
    available = to_page_end < available ? to_page_end : available;
    PV_TRY(vcpu.memory.ReadGva(paging, rip, bytes, available));
  }
  return available;
}

Result<u64> ExitingInstructionLength(Vcpu& vcpu, const Exit& exit) {
  if (exit.length_valid) {
    const u64 len = exit.instruction_length;
    if (len == 0 || len > insn::kMaxInstructionLength) {
      return Status(Err::kInvalidArgument, "exit: hardware next-RIP is not after the instruction");
    }
    return len;
  }
  u8 bytes[insn::kMaxInstructionLength];
  PV_TRY_ASSIGN(const usize available, FetchInstructionBytes(vcpu, bytes));
  PV_TRY_ASSIGN(insn::Decoded d, insn::Decode(bytes, available));
  if (!KindMatches(exit.reason, d.kind)) {
    return Status(Err::kInvalidArgument, "exit: instruction at RIP does not match the exit reason");
  }
  return d.length;
}

}  // namespace pv
