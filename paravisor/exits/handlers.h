// Exit dispatch and the handlers, one per exit kind. Contract (same for every handler and every
// backend): return kResumeNext to continue after the exiting instruction, kResumeSame to
// re-enter without moving RIP (an exception was injected into the guest), or kStop after
// recording why in vcpu.stop. Handlers never fail the paravisor: a guest can only stop itself.
//
// Dispatch is a switch compiled with -fno-jump-tables and direct calls only, so the exit path
// has no indirect branches (tests/paravisor/check_no_indirect_branches.py checks the binary).
// DispatchExit and ProcessExit are inline: each backend's run loop has them in its own body, so
// an exit costs one call (the handler; none for the null hypercall). Nothing runs on every exit
// that only some exits need: counters per reason only (the total is their sum), timer and
// host-agent work on the tick.
#ifndef PV_EXITS_HANDLERS_H_
#define PV_EXITS_HANDLERS_H_

#include "exits/exit.h"
#include "guest/abi.h"
#include "insn/decode.h"
#include "vcpu/vcpu.h"

namespace pv {

ExitAction HandleCpuid(Vcpu& vcpu, const Exit& exit);
ExitAction HandleIo(Vcpu& vcpu, const Exit& exit);
ExitAction HandleMsrRead(Vcpu& vcpu, const Exit& exit);
ExitAction HandleMsrWrite(Vcpu& vcpu, const Exit& exit);
ExitAction HandleHlt(Vcpu& vcpu, const Exit& exit);
ExitAction HandleNestedPageFault(Vcpu& vcpu, const Exit& exit);
ExitAction HandleShutdown(Vcpu& vcpu, const Exit& exit);
ExitAction HandleVirtInstruction(Vcpu& vcpu, const Exit& exit);
ExitAction HandleEntryFailure(Vcpu& vcpu, const Exit& exit);
ExitAction HandleUnknownExit(Vcpu& vcpu, const Exit& exit);
ExitAction HandleCacheInvalidate(Vcpu& vcpu, const Exit& exit);
ExitAction HandleXsetbv(Vcpu& vcpu, const Exit& exit);
ExitAction HandleTimerInterrupt(Vcpu& vcpu, const Exit& exit);
ExitAction HandleCrAccess(Vcpu& vcpu, const Exit& exit);
ExitAction HandleGeneralProtection(Vcpu& vcpu, const Exit& exit);

// Computes the length of the exiting instruction: from the hardware when it reported the next
// RIP, otherwise by decoding the guest's instruction bytes at RIP. Fails (and the guest stops)
// when the bytes cannot be read or are not an instruction of the exit's kind. `platform`: the
// emulated platform completes the instruction itself (an encrypted-state guest's GHCB MSR
// access), reading the bytes as the CPU would (GuestMemory::PlatformReadGva).
Result<u64> ExitingInstructionLength(Vcpu& vcpu, const Exit& exit, bool platform = false);

// RIP past the exiting instruction when the hardware did not say how long it is (or said
// nonsense): decoded from guest memory; a failure stops the guest (kStop).
ExitAction AdvanceByDecoding(Vcpu& vcpu, const Exit& exit);

// VMMCALL/VMCALL (exits/handle_hypercall.cpp): every call but the two that only set a result,
// which are HandleHypercall's own, in line.
ExitAction HandleOtherHypercall(Vcpu& vcpu, const Exit& exit, u64 nr);
// A call from CPL > 0: #UD, as if the instruction did not exist for it.
ExitAction RefuseHypercall(Vcpu& vcpu);

// The guest ABI (guest/abi.h). Inline: in the run loop the register cache's availability bits
// are the constants the backend just set, so the null hypercall (the benchmark's round trip)
// and GET_ABI_VERSION cost a privilege check, a compare and a store, with no call and no frame.
[[gnu::always_inline]] inline ExitAction HandleHypercall(Vcpu& vcpu, const Exit& exit) {
  if (vcpu.cpl() != 0) [[unlikely]]
    return RefuseHypercall(vcpu);
  const u64 nr = vcpu.gpr(kRax);
  switch (nr) {
    case abi::kHcNop:
      vcpu.set_gpr(kRax, 0);
      return ExitAction::kResumeNext;
    case abi::kHcGetAbiVersion:
      vcpu.set_gpr(kRax, abi::kAbiVersion);
      return ExitAction::kResumeNext;
    default:
      return HandleOtherHypercall(vcpu, exit, nr);
  }
}

[[gnu::always_inline]] inline ExitAction DispatchExit(Vcpu& vcpu, const Exit& exit) {
  // The most frequent exits first: without jump tables the switch is a compare tree, in which
  // a hypercall took five compares (and its counter's slot is a constant here).
  if (exit.reason == ExitReason::kHypercall) [[likely]] {
    ++vcpu.stats.by_reason[static_cast<usize>(ExitReason::kHypercall)];
    return HandleHypercall(vcpu, exit);
  }
  ++vcpu.stats.by_reason[static_cast<usize>(exit.reason)];
  switch (exit.reason) {
    case ExitReason::kCpuid:
      return HandleCpuid(vcpu, exit);
    case ExitReason::kIo:
      return HandleIo(vcpu, exit);
    case ExitReason::kMsrRead:
      return HandleMsrRead(vcpu, exit);
    case ExitReason::kMsrWrite:
      return HandleMsrWrite(vcpu, exit);
    case ExitReason::kHlt:
      return HandleHlt(vcpu, exit);
    case ExitReason::kHypercall:  // above
      break;
    case ExitReason::kNestedPageFault:
      return HandleNestedPageFault(vcpu, exit);
    case ExitReason::kShutdown:
      return HandleShutdown(vcpu, exit);
    case ExitReason::kVirtInstruction:
      return HandleVirtInstruction(vcpu, exit);
    case ExitReason::kEntryFailure:
      return HandleEntryFailure(vcpu, exit);
    case ExitReason::kCacheInvalidate:
      return HandleCacheInvalidate(vcpu, exit);
    case ExitReason::kXsetbv:
      return HandleXsetbv(vcpu, exit);
    case ExitReason::kTimerInterrupt:
      return HandleTimerInterrupt(vcpu, exit);
    case ExitReason::kCrAccess:
      return HandleCrAccess(vcpu, exit);
    case ExitReason::kGeneralProtection:
      return HandleGeneralProtection(vcpu, exit);
    case ExitReason::kInterruptWindow:
      return ExitAction::kResumeSame;  // the backend injects on the way back in
    case ExitReason::kUnknown:
    case ExitReason::kCount:
      break;
  }
  return HandleUnknownExit(vcpu, exit);
}

// Dispatches one exit and applies the handler's action to RIP: after kResumeNext, RIP has moved
// past the exiting instruction (through vcpu.set_rip, so the backend writes it back; the backend
// then ends any STI/MOV SS interrupt shadow, which is its own state). A failure to find the
// instruction's length stops the guest (kStop).
[[gnu::always_inline]] inline ExitAction ProcessExit(Vcpu& vcpu, const Exit& exit) {
  const ExitAction action = DispatchExit(vcpu, exit);
  if (action != ExitAction::kResumeNext) return action;
  // The hardware's length, when it gave one in 1..15 (the common case, no decode). Without one
  // the length is 0, so one unsigned compare covers both (AdvanceByDecoding tells them apart).
  if (exit.instruction_length - 1 >= insn::kMaxInstructionLength) [[unlikely]]
    return AdvanceByDecoding(vcpu, exit);
  vcpu.AdvanceRip(exit.instruction_length);
  return ExitAction::kResumeNext;
}

// Copies the guest's instruction bytes at RIP (up to 15; fewer at the end of mapped memory) and
// returns how many were copied.
Result<usize> FetchInstructionBytes(Vcpu& vcpu, u8 (&bytes)[15], bool platform = false);

// Whether [gpa, gpa + len) lies in the MMIO window (the PCI hole, 0xC0000000..0xFFFFFFFF), where
// the host agent's devices live.
bool InMmioWindow(u64 gpa, u64 len);

// Appends one byte of guest console output; complete lines go to the log as "[guest] ...".
void ConsolePutByte(Vcpu& vcpu, u8 byte);
void ConsoleFlush(Vcpu& vcpu);

}  // namespace pv

#endif  // PV_EXITS_HANDLERS_H_
