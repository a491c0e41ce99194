// Port I/O. The paravisor owns the guest's console (COM1 at 0x3f8, the 16550A model of
// devices/uart16550.h, and Bochs' debug port 0xe9): output goes to the log and the exit proxy.
// Linux guests also get the PC's legacy devices: the PIC pair (devices/pic8259.h, which COM1's
// IRQ 4 drives), the PIT and the CMOS RTC. Every other port is refused: reads return all ones
// (what an absent device returns on a PC) and writes are dropped, with a rate-limited report.
// String I/O (INS/OUTS) is not emulated: the guest receives #GP.
#include "arch/host_cpu.h"
#include "exits/handlers.h"
#include "lib/log.h"
#include "proxy/exit_proxy.h"

namespace pv {
namespace {

constexpr u16 kCom1Base = devices::Uart16550::kCom1Base;
constexpr u16 kBochsDebugPort = 0xe9;
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

// COM1's interrupt output drives IRQ 4 of the guest's PIC (Linux guests only).
void UpdateUartInterrupt(Vcpu& vcpu) {
  if (vcpu.irq.enabled) {
    vcpu.irq.pic.SetLine(devices::Uart16550::kCom1Irq, vcpu.uart.interrupt_line());
  }
}

// The PIC, PIT and RTC of a Linux guest's platform (byte-wide registers: the low byte of a wider
// access). Returns false for any other port.
bool PlatformDeviceIo(Vcpu& vcpu, const IoExit& io) {
  GuestInterruptState& p = vcpu.irq;
  const u8 out = static_cast<u8>(vcpu.gpr(kRax));
  if (devices::Pic8259Pair::IsPort(io.port)) {
    if (io.in) {
      CompleteIn(vcpu, io.size, p.pic.Read(io.port));
    } else {
      p.pic.Write(io.port, out);
    }
  } else if (devices::Pit8254::IsPort(io.port)) {
    if (io.in) {
      CompleteIn(vcpu, io.size, p.pit.Read(io.port, arch::HostTsc()));
    } else {
      p.pit.Write(io.port, out, arch::HostTsc());
    }
  } else if (devices::CmosRtc::IsPort(io.port)) {
    if (io.in) {
      CompleteIn(vcpu, io.size, p.rtc.Read(io.port, arch::HostTsc()));
    } else {
      p.rtc.Write(io.port, out);
    }
  } else {
    return false;
  }
  return true;
}

bool IsConsolePort(u16 port) {
  return port == kBochsDebugPort || (port >= kCom1Base && port < kCom1Base + 8);
}

u32 ConsoleRead(Vcpu& vcpu, u16 port) {
  if (port == kBochsDebugPort) return kBochsDebugPort;  // Bochs' "port present" answer
  const u8 value = vcpu.uart.Read(static_cast<u8>(port - kCom1Base));
  UpdateUartInterrupt(vcpu);
  return value;
}

// A write to COM1: a transmitted byte goes to the console, every other register to the model.
void ConsoleWrite(Vcpu& vcpu, u16 port, u8 value) {
  u8 transmitted = 0;
  if (vcpu.uart.Write(static_cast<u8>(port - kCom1Base), value, &transmitted)) {
    ConsolePutByte(vcpu, transmitted);
  }
  UpdateUartInterrupt(vcpu);
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
  if (vcpu.irq.enabled && PlatformDeviceIo(vcpu, io)) return ExitAction::kResumeNext;
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
