// The architecture-neutral exit model. Each backend (svm/, vmx/) decodes its hardware exit
// information (VMCB EXITCODE/EXITINFO, VMCS exit reason/qualification) into an Exit; one
// dispatcher and one set of handlers then serve every backend.
#ifndef PV_EXITS_EXIT_H_
#define PV_EXITS_EXIT_H_

#include "lib/types.h"

namespace pv {

enum class ExitReason : u8 {
  kCpuid,
  kIo,
  kMsrRead,
  kMsrWrite,
  kHlt,
  kHypercall,          // VMMCALL (SVM) or VMCALL (VMX)
  kNestedPageFault,    // NPF (SVM) or EPT violation / misconfiguration (VMX)
  kShutdown,           // triple fault
  kVirtInstruction,    // the guest executed a virtualisation instruction (VMRUN, VMXON, ...)
  kEntryFailure,       // VMEXIT_INVALID or VM-entry failure: the guest state was refused
  kUnknown,            // anything the model does not describe; reported, never fatal
  kCacheInvalidate,    // INVD (appended: the numbers above are on the exit-proxy wire)
  kXsetbv,             // XSETBV: validated against the guest's CPUID leaf 0xD, then loaded
  kTimerInterrupt,     // the paravisor's own timer interrupted the guest (budget, HLT wake-up)
  kCrAccess,           // VMX: MOV to/from a control register the guest/host masks reserve
  kGeneralProtection,  // SVM: a #GP the guest raised (intercepted to tell SVM instructions apart)
  kInterruptWindow,    // the guest became able to take the interrupt waiting for it
  kCount
};

const char* ExitReasonName(ExitReason reason);

struct IoExit {
  u16 port;
  u8 size;      // 1, 2 or 4 bytes
  bool in;      // IN/INS (true) or OUT/OUTS
  bool string;  // INS/OUTS
  bool rep;
};

struct NpfExit {
  u64 gpa;
  bool write;
  bool fetch;
  bool present;  // the translation existed (a permission fault) rather than being absent
};

// VMX control-register access (exit qualification, SDM table 28-3).
enum class CrAccessType : u8 { kMovToCr, kMovFromCr, kClts, kLmsw };
struct CrExit {
  u8 cr;  // 0, 3, 4 or 8
  CrAccessType type;
  u8 gpr;         // MOV: the general register (x86 encoding)
  u16 lmsw_data;  // LMSW: the 16-bit source operand
};

// Laid out so that constructing one costs few stores on the exit path: the two one-byte fields
// share the first word, and the operand union is cleared as two words.
struct Exit {
  ExitReason reason = ExitReason::kUnknown;
  // The exiting instruction's length as the hardware reported it (VMX: VM-exit instruction
  // length; SVM: NRIP save or IOIO's next RIP, minus RIP); valid only if length_valid, else the
  // instruction is decoded from guest memory when RIP has to move past it. 0 whenever
  // length_valid is false (so a single range check tells the usable case apart).
  bool length_valid = false;
  u64 instruction_length = 0;
  u64 raw_code = 0;  // hardware exit code / basic exit reason, for reports
  // EXITINFO1 / exit qualification and EXITINFO2 / guest-physical address, for reports: filled
  // for the exits whose handlers report or use them (I/O, NPF, #GP, CR, unknown exits, entry
  // failures), 0 for the others (the backends do not read what nobody looks at).
  u64 raw_info1 = 0;
  u64 raw_info2 = 0;
  union {
    IoExit io;
    u32 msr;
    NpfExit npf;
    CrExit cr;
    u64 operand_words_[2];  // only to clear the union in two stores
  };
  Exit() : operand_words_{} {}
};
static_assert(sizeof(NpfExit) <= 2 * sizeof(u64), "the union is cleared as two words");

// What the backend does after a handler: continue past the exiting instruction, re-enter
// without moving RIP (an exception was injected, or the fault was resolved), or stop the guest.
enum class ExitAction : u8 { kResumeNext, kResumeSame, kStop };

}  // namespace pv

#endif  // PV_EXITS_EXIT_H_
