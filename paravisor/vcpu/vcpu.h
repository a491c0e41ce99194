// A virtual CPU: the register file the handlers see, the guest's memory, why it stopped, and
// statistics. Backend-specific hardware state (VMCB, VMCS) hangs off `backend_state`.
#ifndef PV_VCPU_VCPU_H_
#define PV_VCPU_VCPU_H_

#include "apic/local_apic.h"
#include "devices/cmos_rtc.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/uart16550.h"
#include "exits/exit.h"
#include "guest/guest_memory.h"
#include "lib/types.h"
#include "vcpu/encrypted_state.h"
#include "vcpu/registers.h"
#include "vcpu/run_state.h"

namespace pv {

enum class Backend : u8 { kSvm, kVmx };

enum class StopReason : u8 {
  kNone,
  kExited,         // the guest called the exit hypercall
  kHalted,         // HLT with interrupts disabled: nothing can ever wake it
  kShutdown,       // triple fault
  kNptViolation,   // access outside its memory
  kUnknownExit,    // an exit the model does not handle
  kEntryFailure,   // the hardware refused the guest state
  kDecodeFailure,  // the exiting instruction could not be decoded
  kInternalError,  // a paravisor-side failure while handling an exit
  kTimeout,        // the guest used up its time budget (appended: names are on the log)
  kTerminated,     // an encrypted-state guest asked to be terminated (GHCB/GHCI request)
  kProtocolError,  // an encrypted-state guest broke its protocol so that no answer exists
};

const char* StopReasonName(StopReason reason);

struct StopInfo {
  StopReason reason = StopReason::kNone;
  u64 code = 0;    // exit code, exit reason, or VM-instruction error
  u64 rip = 0;     // guest RIP at the stop
  u64 detail = 0;  // reason-specific: faulting GPA, hardware exit code, ...
  const char* message = "";
};

struct PendingException {
  bool valid = false;
  u8 vector = 0;
  bool has_error_code = false;
  u32 error_code = 0;
};

// VMX control-register state the paravisor keeps itself: which CR4 bits the CPU can set (the
// CR policy's input) and the guest's task priority (CR8 accesses exit; the physical TPR stays the
// paravisor's).
struct GuestCrState {
  u64 cr4_supported = 0;  // CR4 bits the CPU can set (IA32_VMX_CR4_FIXED1)
  u64 cr8 = 0;
};

// The PC platform a Linux guest gets (exits/guest_interrupts.h): its own local APIC (xAPIC page,
// x2APIC MSRs, TSC-deadline timer), the legacy PIC pair behind LINT0, and the PIT and CMOS RTC
// (counting from the TSC, wired to no interrupt). Guests of the paravisor's own ABI have none
// of them (`enabled` false): their APIC accesses and those ports fault or are refused as before.
struct GuestInterruptState {
  bool enabled = false;
  u32 tsc_khz = 0;  // the TSC rate CPUID reports (leaf 0x40000010)
  apic::LocalApic lapic;
  devices::Pic8259Pair pic;
  devices::Pit8254 pit;
  devices::CmosRtc rtc;
  u64 injected = 0;        // interrupts delivered to the guest
  u64 injected_timer = 0;  // of which the local APIC timer's
  u64 injected_pic = 0;    // of which through the PIC (ExtINT)
  u64 first_injection_tsc = 0, last_injection_tsc = 0;
  u64 refused_msrs = 0;  // APIC MSR accesses refused with #GP (the first few are logged)
};

struct ExitStats {
  // One slot per reason, plus one for kCount, which no decoder produces: the per-exit increment
  // needs no bounds check.
  u64 by_reason[static_cast<usize>(ExitReason::kCount) + 1] = {};
  u64 injected_exceptions = 0;
  u64 refused_io = 0;
  u64 refused_msrs = 0;

  // All exits: summed when reported, so the exit path counts each exit once (by reason).
  u64 Total() const {
    u64 total = 0;
    for (u64 n : by_reason) total += n;
    return total;
  }
};

// Guest console: bytes written to the console ports, flushed to the log line by line.
struct ConsoleBuffer {
  static constexpr usize kLineMax = 160;
  char line[kLineMax];
  usize len = 0;
};

struct Vcpu;

// Fetches the `missing` registers from the vCPU's backend into vcpu.regs, which marks them
// available (vcpu/backend_ops.cpp: a switch on the backend, direct tail calls only). Out of
// line: a fetch is the uncommon case, and each backend reads only what it is asked for.
void FillRegisters(Vcpu& vcpu, RegMask missing);

struct Vcpu {
  VcpuRunState run;  // first: the world-switch code addresses it from the Vcpu pointer

  Backend backend = Backend::kSvm;
  void* backend_state = nullptr;

  // The guest's registers, only through the accessors below (vcpu/registers.h: availability and
  // dirty bits; the backend fetches on first use and writes back what changed).
  RegisterCache regs;

  u64 mtrr_def_type = 0x806;    // MTRRs enabled, default write-back (exits/handle_msr.cpp)
  u64 xcr0 = 0;                 // the XCR0 the guest runs with (reset per guest; XSETBV exits)
  u64 budget_deadline_tsc = 0;  // host TSC at which the guest's time budget ends; 0 = none
  GuestCrState cr;

  PendingException pending;
  GuestMemory memory;
  StopInfo stop;
  ExitStats stats;
  ConsoleBuffer console;
  devices::Uart16550 uart;  // COM1 (exits/handle_io.cpp)
  GuestInterruptState irq;
  u32 guest_index = 0;  // which guest image this vCPU runs (for logs)
  EncryptedState tee;   // tee=sev-es|sev-snp|tdx: the encrypted-state guest mode

  // --- guest registers (vcpu/registers.h) ---
  u64 gpr(Gpr r) {
    Need(GprBit(r));
    return run.gprs[r];
  }
  void set_gpr(Gpr r, u64 value) {
    run.gprs[r] = value;
    Wrote(GprBit(r));
  }
  u64 reg(Reg r) {
    Need(RegBit(r));
    return regs.value(r);
  }
  void set_reg(Reg r, u64 value) {
    regs.value(r) = value;
    Wrote(RegBit(r));
  }
  u64 rip() { return reg(Reg::kRip); }
  void set_rip(u64 value) { set_reg(Reg::kRip, value); }
  u64 rflags() { return reg(Reg::kRflags); }
  u64 cr0() { return reg(Reg::kCr0); }
  u64 cr3() { return reg(Reg::kCr3); }
  u64 cr4() { return reg(Reg::kCr4); }
  u64 efer() { return reg(Reg::kEfer); }
  void set_efer(u64 value) { set_reg(Reg::kEfer, value); }
  u64 pat() { return reg(Reg::kPat); }
  void set_pat(u64 value) { set_reg(Reg::kPat, value); }
  u8 cpl() { return static_cast<u8>(reg(Reg::kCpl)); }
  // The translation state guest-virtual accesses need (CR0, CR3, CR4, EFER), fetched together.
  GuestPaging paging() {
    Need(kPagingRegs);
    return {regs.value(Reg::kCr0), regs.value(Reg::kCr3), regs.value(Reg::kCr4),
            regs.value(Reg::kEfer)};
  }
  // RIP past the exiting instruction: read (cached), moved, marked dirty.
  void AdvanceRip(u64 length) {
    Need(RegBit(Reg::kRip));
    regs.value(Reg::kRip) += length;
    regs.dirty |= RegBit(Reg::kRip);  // available already: Need made it so
  }
  bool dirty(Reg r) const { return (regs.dirty & RegBit(r)) != 0; }

  // For the backend: what it holds right after an exit (every dirty bit was written back before
  // the entry), and registers it read anyway, given to the cache without marking them dirty.
  void BeginExit(RegMask available) {
    regs.available = available;
    regs.dirty = 0;
  }
  void Provide(Reg r, u64 value) {
    regs.value(r) = value;
    regs.available |= RegBit(r);
  }

  void InjectException(u8 vector, bool has_error_code, u32 error_code) {
    pending = {true, vector, has_error_code, error_code};
    ++stats.injected_exceptions;
  }
  ExitAction Stop(StopReason reason, u64 code, u64 detail, const char* message) {
    stop = {reason, code, rip(), detail, message};
    return ExitAction::kStop;
  }

 private:
  void Need(RegMask wanted) {
    if ((regs.available & wanted) != wanted) [[unlikely]]
      Fetch(wanted & ~regs.available);
  }
  // In the firmware the fetch goes through pv_fill_registers_preserving (vcpu/backend_ops.cpp),
  // which saves and restores every caller-saved register itself: to the compiler the call
  // clobbers nothing, so a handler whose registers are all cached (the common case) pays
  // nothing for the possibility, no saved registers and no spills. The firmware has no red
  // zone, so a CALL from inline asm overwrites nothing; a hosted build (the unit tests) calls
  // FillRegisters directly.
  void Fetch(RegMask missing) {
#if __STDC_HOSTED__
    FillRegisters(*this, missing);
#else
    asm volatile("call pv_fill_registers_preserving" : : "D"(this), "S"(missing) : "memory", "cc");
#endif
  }
  void Wrote(RegMask written) {
    regs.available |= written;
    regs.dirty |= written;
  }
};

constexpr u8 kVectorUd = 6;
constexpr u8 kVectorGp = 13;

}  // namespace pv

#endif  // PV_VCPU_VCPU_H_
