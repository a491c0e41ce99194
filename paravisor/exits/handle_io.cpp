// Port I/O. The paravisor owns the guest's console (a 16550A-style COM1 at 0x3f8 and Bochs'
// debug port 0xe9): output goes to the log, and the UART's registers behave enough like a
// 16550A (IER/LCR/MCR/SCR and the divisor latch hold values, IIR says "no interrupt pending" and
// reports FIFOs once enabled, LSR "transmitter empty", loopback mirrors MCR into MSR) that
// polling drivers and Linux's 8250 probe detect it. Every other port is refused: reads return all
// ones (what an absent device returns on a PC) and writes are dropped, with a rate-limited report.
// String I/O (INS/OUTS) is not emulated: the guest receives #GP.
#include "exits/handlers.h"
#include "lib/log.h"
#include "proxy/exit_proxy.h"

namespace pv {
namespace {

constexpr u16 kCom1Base = 0x3f8;
constexpr u16 kCom1LineStatus = kCom1Base + 5;
// 16550 registers by offset from the base (DLAB = LCR bit 7 selects the divisor latch at 0/1).
constexpr u16 kUartIer = 1;     // read/write; DLM with DLAB
constexpr u16 kUartIirFcr = 2;  // IIR on read, FCR on write
constexpr u16 kUartLcr = 3;
constexpr u16 kUartMcr = 4;
constexpr u16 kUartMsr = 6;
constexpr u16 kUartScr = 7;
constexpr u8 kLcrDlab = 0x80;
constexpr u8 kMcrLoopback = 0x10;
constexpr u8 kIirNoInterrupt = 0x01;
constexpr u8 kIirFifosEnabled = 0xc0;
constexpr u8 kFcrEnable = 0x01;
constexpr u16 kBochsDebugPort = 0xe9;
constexpr u8 kLsrTransmitterEmpty = 0x60;  // THR empty + transmitter idle
constexpr u64 kRefusalReportLimit = 8;

u64 SizeMask(u8 size) {
  return size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
}

// IN writes AL/AX/EAX. A 32-bit result zero-extends into RAX; 8/16-bit ones keep the rest.
void CompleteIn(Vcpu& vcpu, u8 size, u32 value) {
  if (size == 4) {
    vcpu.set_gpr(kRax, value);
  } else {
    const u64 mask = SizeMask(size);
    vcpu.set_gpr(kRax, (vcpu.gpr(kRax) & ~mask) | (value & mask));
  }
}

bool IsConsolePort(u16 port) {
  return port == kBochsDebugPort || (port >= kCom1Base && port < kCom1Base + 8);
}

u32 ConsoleRead(Vcpu& vcpu, u16 port) {
  if (port == kBochsDebugPort) return kBochsDebugPort;  // Bochs' "port present" answer
  const UartState& u = vcpu.uart;
  const bool dlab = u.lcr & kLcrDlab;
  switch (port - kCom1Base) {
    case 0:
      return dlab ? u.dll : 0;  // no received data
    case kUartIer:
      return dlab ? u.dlm : u.ier;
    case kUartIirFcr:
      return kIirNoInterrupt | ((u.fcr & kFcrEnable) ? kIirFifosEnabled : 0);
    case kUartLcr:
      return u.lcr;
    case kUartMcr:
      return u.mcr;
    case kUartMsr:
      // Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD (16550 data sheet); otherwise the
      // modem lines are idle.
      if (u.mcr & kMcrLoopback) {
        return ((u.mcr & 0x1) << 5) | ((u.mcr & 0x2) << 3) | ((u.mcr & 0x4) << 4) |
               ((u.mcr & 0x8) << 4);
      }
      return 0;
    case kUartScr:
      return u.scr;
    default:
      return port == kCom1LineStatus ? kLsrTransmitterEmpty : 0;
  }
}

// A write to COM1: the data register goes to the console unless it is the divisor latch; the
// other registers keep their value (only their defined bits).
void ConsoleWrite(Vcpu& vcpu, u16 port, u8 value) {
  UartState& u = vcpu.uart;
  const bool dlab = u.lcr & kLcrDlab;
  switch (port - kCom1Base) {
    case 0:
      if (dlab) {
        u.dll = value;
      } else {
        ConsolePutByte(vcpu, value);
      }
      break;
    case kUartIer:
      if (dlab) {
        u.dlm = value;
      } else {
        u.ier = value & 0x0f;
      }
      break;
    case kUartIirFcr:
      u.fcr = value;
      break;
    case kUartLcr:
      u.lcr = value;
      break;
    case kUartMcr:
      u.mcr = value & 0x1f;
      break;
    case kUartScr:
      u.scr = value;
      break;
    default:
      break;  // LSR and MSR are read-only
  }
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
      CompleteIn(vcpu, io.size, ConsoleRead(vcpu, io.port));
    } else if (io.port == kBochsDebugPort) {
      ConsolePutByte(vcpu, static_cast<u8>(vcpu.gpr(kRax)));
    } else {
      ConsoleWrite(vcpu, io.port, static_cast<u8>(vcpu.gpr(kRax)));
    }
    return ExitAction::kResumeNext;
  }
  // Not ours: the host agent may have a device there (exit proxy). Its answer is data the
  // guest sees anyway; a refusal, timeout or malformed answer falls through to "no device".
  if (proxy_client::Attached()) {
    const u32 out_value = io.in ? 0 : static_cast<u32>(vcpu.gpr(kRax) & SizeMask(io.size));
    const Result<u32> forwarded = proxy_client::ForwardIo(io.port, io.size, !io.in, out_value);
    if (forwarded.ok()) {
      proxy_client::NoteExitStats(vcpu.stats.Total(), vcpu.stats.by_reason,
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
