// A virtual CPU: the register file the handlers see, the guest's memory, why it stopped, and
// statistics. Backend-specific hardware state (VMCB, VMCS) hangs off `backend_state`.
#ifndef PV_VCPU_VCPU_H_
#define PV_VCPU_VCPU_H_

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

struct ExitStats {
  u64 total = 0;
  u64 by_reason[static_cast<usize>(ExitReason::kCount)] = {};
  u64 injected_exceptions = 0;
  u64 refused_io = 0;
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

  PendingException pending;
  GuestMemory memory;
  StopInfo stop;
  ExitStats stats;
  ConsoleBuffer console;
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
