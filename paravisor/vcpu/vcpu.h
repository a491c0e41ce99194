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

// VMX: CR0/CR4 as the guest sees them (read shadows merged in), read by the backend only for a
// control-register exit; and a write a handler decided, which the backend applies (hardware
// value with the bits VMX forces, read shadow with the guest's value) before the next entry.
struct GuestCrState {
  u64 cr0 = 0;
  u64 cr4 = 0;
  u64 cr4_supported = 0;  // CR4 bits the CPU can set (IA32_VMX_CR4_FIXED1)
  u64 cr8 = 0;            // VMX: the guest's task priority (CR8 accesses exit)
  bool write_pending = false;
  u8 write_cr = 0;
  u64 write_value = 0;
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
  u64 total = 0;
  u64 by_reason[static_cast<usize>(ExitReason::kCount)] = {};
  u64 injected_exceptions = 0;
  u64 refused_io = 0;
  u64 refused_msrs = 0;
};

// Guest console: bytes written to the console ports, flushed to the log line by line.
struct ConsoleBuffer {
  static constexpr usize kLineMax = 160;
  char line[kLineMax];
  usize len = 0;
};

struct Vcpu {
  VcpuRunState run;  // first: the world-switch code addresses it from the Vcpu pointer

  Backend backend = Backend::kSvm;
  void* backend_state = nullptr;

  // Guest state the handlers read or change; the backend syncs it with the VMCB/VMCS.
  u64 rip = 0;
  u64 rflags = 0;
  GuestPaging paging;
  u64 pat = 0;
  u8 cpl = 0;
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

  u64& gpr(Gpr r) { return run.gprs[r]; }

  void InjectException(u8 vector, bool has_error_code, u32 error_code) {
    pending = {true, vector, has_error_code, error_code};
    ++stats.injected_exceptions;
  }
  ExitAction Stop(StopReason reason, u64 code, u64 detail, const char* message) {
    stop = {reason, code, rip, detail, message};
    return ExitAction::kStop;
  }
};

constexpr u8 kVectorUd = 6;
constexpr u8 kVectorGp = 13;

}  // namespace pv

#endif  // PV_VCPU_VCPU_H_
