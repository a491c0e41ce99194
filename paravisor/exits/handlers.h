// Exit dispatch and the handlers, one per exit kind. Contract (same for every handler and every
// backend): return kResumeNext to continue after the exiting instruction, kResumeSame to
// re-enter without moving RIP (an exception was injected into the guest), or kStop after
// recording why in vcpu.stop. Handlers never fail the paravisor: a guest can only stop itself.
//
// Dispatch is a switch compiled with -fno-jump-tables and direct calls only, so the exit path
// has no indirect branches (tests/paravisor/check_no_indirect_branches.py checks the binary).
#ifndef PV_EXITS_HANDLERS_H_
#define PV_EXITS_HANDLERS_H_

#include "exits/exit.h"
#include "vcpu/vcpu.h"

namespace pv {

ExitAction DispatchExit(Vcpu& vcpu, const Exit& exit);

// Dispatches one exit and applies the handler's action to RIP: after kResumeNext, RIP has moved
// past the exiting instruction (the backend then ends any STI/MOV SS interrupt shadow, which is
// its own state). A failure to find the instruction's length stops the guest (kStop).
ExitAction ProcessExit(Vcpu& vcpu, const Exit& exit);

ExitAction HandleCpuid(Vcpu& vcpu, const Exit& exit);
ExitAction HandleIo(Vcpu& vcpu, const Exit& exit);
ExitAction HandleMsrRead(Vcpu& vcpu, const Exit& exit);
ExitAction HandleMsrWrite(Vcpu& vcpu, const Exit& exit);
ExitAction HandleHlt(Vcpu& vcpu, const Exit& exit);
ExitAction HandleHypercall(Vcpu& vcpu, const Exit& exit);
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
