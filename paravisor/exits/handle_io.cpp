// Port I/O. The paravisor owns the guest's console (a 16550-style COM1 at 0x3f8 and Bochs'
// debug port 0xe9): output goes to the log, and the UART's status registers answer so that
// ordinary polling serial drivers work. Every other port is refused: reads return all ones (what
// an absent device returns on a PC) and writes are dropped, with a rate-limited report.
// String I/O (INS/OUTS) is not emulated: the guest receives #GP.
#include "exits/handlers.h"
#include "lib/log.h"
#include "proxy/exit_proxy.h"

namespace pv {
namespace {

constexpr u16 kCom1Base = 0x3f8;
constexpr u16 kCom1Data = kCom1Base + 0;
constexpr u16 kCom1LineStatus = kCom1Base + 5;
constexpr u16 kBochsDebugPort = 0xe9;
constexpr u8 kLsrTransmitterEmpty = 0x60;  // THR empty + transmitter idle
constexpr u64 kRefusalReportLimit = 8;

u64 SizeMask(u8 size) {
  return size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
}

// IN writes AL/AX/EAX. A 32-bit result zero-extends into RAX; 8/16-bit ones keep the rest.
void CompleteIn(Vcpu& vcpu, u8 size, u32 value) {
  u64& rax = vcpu.gpr(kRax);
  if (size == 4) {
    rax = value;
  } else {
    const u64 mask = SizeMask(size);
    rax = (rax & ~mask) | (value & mask);
  }
}

bool IsConsolePort(u16 port) {
  return port == kBochsDebugPort || (port >= kCom1Base && port < kCom1Base + 8);
}

u32 ConsoleRead(u16 port) {
  if (port == kBochsDebugPort) return kBochsDebugPort;  // Bochs' "port present" answer
  if (port == kCom1LineStatus) return kLsrTransmitterEmpty;
  return 0;  // no received data, no interrupts pending, modem lines idle
}

}  // namespace

ExitAction HandleIo(Vcpu& vcpu, const Exit& exit) {
  const IoExit& io = exit.io;
  if (io.size != 1 && io.size != 2 && io.size != 4) {
    return vcpu.Stop(StopReason::kInternalError, io.size, exit.raw_info1,
                     "io: invalid access size");
  }
  if (io.string) {
    vcpu.InjectException(kVectorGp, true, 0);
    return ExitAction::kResumeSame;
  }
  if (IsConsolePort(io.port)) {
    if (io.in) {
      CompleteIn(vcpu, io.size, ConsoleRead(io.port));
    } else if (io.port == kCom1Data || io.port == kBochsDebugPort) {
      ConsolePutByte(vcpu, static_cast<u8>(vcpu.gpr(kRax)));
    }
    return ExitAction::kResumeNext;
  }
  // Not ours: the host agent may have a device there (exit proxy). Its answer is data the
  // guest sees anyway; a refusal, timeout or malformed answer falls through to "no device".
  if (proxy_client::Attached()) {
    const u32 out_value = io.in ? 0 : static_cast<u32>(vcpu.gpr(kRax) & SizeMask(io.size));
    const Result<u32> forwarded = proxy_client::ForwardIo(io.port, io.size, !io.in, out_value);
    if (forwarded.ok()) {
      proxy_client::NoteExitStats(vcpu.stats.total, vcpu.stats.by_reason,
                                  static_cast<u32>(ExitReason::kCount));
      if (io.in) CompleteIn(vcpu, io.size, static_cast<u32>(forwarded.value() & SizeMask(io.size)));
      return ExitAction::kResumeNext;
    }
  }
  if (++vcpu.stats.refused_io <= kRefusalReportLimit) {
    Log("io: guest %u %s port 0x%x (%u bytes) refused: no device there%s", vcpu.guest_index,
        io.in ? "read" : "write", io.port, io.size,
        vcpu.stats.refused_io == kRefusalReportLimit ? " (further refusals not reported)" : "");
  }
  if (io.in) CompleteIn(vcpu, io.size, static_cast<u32>(SizeMask(io.size)));
  return ExitAction::kResumeNext;
}

}  // namespace pv
