// Nested page faults: guest-physical accesses outside the guest's RAM. An access inside the MMIO
// window (the PCI hole below 4 GiB) may belong to a device the host agent models: the paravisor
// decodes the instruction, performs the access through the exit proxy, completes it in the
// guest's registers and continues after the instruction. Everything else, and every MMIO access
// the agent does not claim, stops the guest with a report: a guest never reaches memory that is
// not its own. A guest with an emulated local APIC has its xAPIC page served the same way, by the
// APIC model (exits/handle_apic.cpp), before any agent device.
#include "exits/handle_apic.h"
#include "exits/handlers.h"
#include "insn/decode.h"
#include "insn/mmio_decode.h"
#include "lib/log.h"
#include "proxy/exit_proxy.h"

namespace pv {
namespace {

u64 SizeMask(u8 size) {
  return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

u64 ReadOperand(Vcpu& vcpu, const insn::MmioAccess& a) {
  if (a.has_immediate) return a.immediate;
  const u64 reg = vcpu.gpr(static_cast<Gpr>(a.reg));
  return a.high_byte ? (reg >> 8) & 0xff : reg & SizeMask(a.size);
}

// A load's result into its register, with x86's width rules: 32-bit destinations zero-extend
// into the full register, 8- and 16-bit ones keep the bits above.
void WriteDestination(Vcpu& vcpu, const insn::MmioAccess& a, u64 value) {
  const Gpr dest = static_cast<Gpr>(a.reg);
  const u64 reg = vcpu.gpr(dest);
  value &= SizeMask(a.size);  // MOVZX: the loaded width, zero-extended to dest_size
  if (a.high_byte) {
    vcpu.set_gpr(dest, (reg & ~0xff00ull) | (value << 8));
  } else if (a.dest_size >= 4) {
    vcpu.set_gpr(dest, value);
  } else {
    vcpu.set_gpr(dest, (reg & ~SizeMask(a.dest_size)) | value);
  }
}

// Performs the access on the guest's own local APIC (the xAPIC page) or through the host agent.
// On failure returns why, for the stop report.
const char* EmulateMmio(Vcpu& vcpu, const NpfExit& f, bool guest_apic) {
  u8 bytes[insn::kMaxInstructionLength];
  const Result<usize> fetched = FetchInstructionBytes(vcpu, bytes);
  if (!fetched.ok()) return fetched.status().message();
  const Result<insn::MmioAccess> decoded = insn::DecodeMmio(bytes, fetched.value());
  if (!decoded.ok()) return decoded.status().message();
  const insn::MmioAccess& a = decoded.value();
  if (a.write != f.write) return "mmio: instruction direction does not match the fault";
  const Result<u64> result =
      guest_apic
          ? ApicMmioAccess(vcpu, f.gpa, a.size, a.write, a.write ? ReadOperand(vcpu, a) : 0)
          : proxy_client::ForwardMmio(f.gpa, a.size, a.write, a.write ? ReadOperand(vcpu, a) : 0);
  if (!result.ok())
    return guest_apic ? result.status().message() : "mmio: no device claims this address";
  if (!a.write) WriteDestination(vcpu, a, result.value());
  vcpu.set_rip(vcpu.rip() + a.length);
  return nullptr;
}

}  // namespace

bool InMmioWindow(u64 gpa, u64 len) {
  constexpr u64 kMmioWindowBase = 0xc0000000;
  constexpr u64 kMmioWindowEnd = 0x100000000;
  return gpa >= kMmioWindowBase && gpa < kMmioWindowEnd && len <= kMmioWindowEnd - gpa;
}

ExitAction HandleNestedPageFault(Vcpu& vcpu, const Exit& exit) {
  const NpfExit& f = exit.npf;
  const char* why = "guest accessed memory outside its partition";
  const bool guest_apic = IsGuestApicPage(vcpu, f.gpa);
  if (!f.fetch && ((InMmioWindow(f.gpa, 1) && proxy_client::Attached()) || guest_apic)) {
    const char* failure = EmulateMmio(vcpu, f, guest_apic);
    if (failure == nullptr) {
      proxy_client::NoteExitStats(vcpu.stats.Total(), vcpu.stats.by_reason,
                                  static_cast<u32>(ExitReason::kCount));
      return ExitAction::kResumeSame;  // RIP already moved past the completed instruction
    }
    why = failure;
  }
  ConsoleFlush(vcpu);
  Log("npf: guest %u %s at GPA 0x%lx outside its memory (0..0x%lx) at RIP 0x%lx: stopped (%s)",
      vcpu.guest_index, f.fetch ? "instruction fetch" : (f.write ? "write" : "read"), f.gpa,
      vcpu.memory.size(), vcpu.rip(), why);
  return vcpu.Stop(StopReason::kNptViolation, exit.raw_info1, f.gpa, why);
}

}  // namespace pv
