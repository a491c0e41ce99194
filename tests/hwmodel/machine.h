// The instruction-level hardware model: Unicorn executes the world-switch routine's own machine
// code instruction by instruction, and every instruction Unicorn does not implement as the
// hardware would (VMRUN, VMLOAD, VMSAVE, CLGI, STGI, STI, CLI, VMLAUNCH, VMRESUME, VMREAD,
// VMWRITE, TDCALL, RDMSR, WRMSR, XGETBV, VERW) is handed to a Hardware object that implements it
// from the AMD APM, the Intel SDM or the TDX module ABI. The Machine also keeps what the properties
// need: an instruction trace, a 32-entry return-stack-buffer model, and the paravisor code's
// accesses to watched memory. This is a model standing in for absent hardware, not hardware.
#ifndef PV_TESTS_HWMODEL_MACHINE_H_
#define PV_TESTS_HWMODEL_MACHINE_H_

#include <unicorn/unicorn.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "elf_image.h"

namespace hwmodel {

// GPRs in x86 register-number order, as pv::Gpr and VcpuRunState::gprs.
constexpr int kGprCount = 16;
enum GprIndex { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
using Gprs = std::array<uint64_t, kGprCount>;
const char* GprName(int r);
std::string Hex(uint64_t v);  // "0x..." for messages

enum class Insn : uint8_t {
  kOther,
  kCall,
  kRet,
  kIndirectJump,  // JMP r/m (an indirect CALL is kCall with `indirect`)
  kSti,
  kCli,
  kWrmsr,
  kRdmsr,
  kXgetbv,
  kVerw,
  kVmrun,
  kVmload,
  kVmsave,
  kClgi,
  kStgi,
  kVmlaunch,
  kVmresume,
  kVmread,
  kVmwrite,
  kTdcall,
};
const char* InsnName(Insn insn);

struct Decoded {
  Insn kind = Insn::kOther;
  unsigned length = 0;    // valid for the instructions the hardware model executes
  bool indirect = false;  // CALL through a register or memory
  int reg = -1;           // ModRM.reg (with REX.R) for VMREAD/VMWRITE
  int rm = -1;            // ModRM.rm (with REX.B) when ModRM.mod = 3, else -1
};
Decoded Classify(const uint8_t* bytes, size_t n);

struct TraceEntry {
  uint64_t rip;
  Insn kind;
  bool indirect;
};

struct MemAccess {
  uint64_t rip;
  uint64_t addr;
  int size;
  bool write;
  uint64_t value;
};

class Machine;

// Executes the instructions Unicorn leaves to the hardware model (STI and CLI included: their
// effect on interruptibility depends on GIF and the STI shadow, which only the model knows).
// Execute() either completes the instruction (registers, memory, RIP) and returns true, or records
// why the paravisor code broke the architecture's rules with Machine::Fail and returns false (which
// stops the run).
class Hardware {
 public:
  virtual ~Hardware() = default;
  virtual bool Execute(Machine& m, const Decoded& insn, uint64_t rip) = 0;
  // Called at every instruction boundary, before the instruction at `rip` executes: where the
  // hardware would deliver a pending interrupt. Returns false (after Machine::Fail) if the
  // architecture would let an interrupt into the world switch here.
  virtual bool AtBoundary(Machine& m, uint64_t rip) = 0;
};

class Machine {
 public:
  static constexpr uint64_t kDataBase = 0x40000000;
  static constexpr uint64_t kDataSize = 1 << 20;
  static constexpr uint64_t kStackTop = 0x40200000;
  static constexpr uint64_t kReturnSentinel = 0x7fff0000;
  static constexpr int kRsbEntries = 32;

  explicit Machine(const ElfImage& image);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const ElfImage& image() const { return image_; }

  // Zeroed memory in the data region (identity-mapped: its address is also its "physical"
  // address for the hardware model). Stable for the Machine's lifetime.
  uint64_t Alloc(size_t size, size_t align);
  void Write(uint64_t addr, const void* data, size_t size);
  void Read(uint64_t addr, void* data, size_t size);
  uint64_t Load64(uint64_t addr);
  void Store64(uint64_t addr, uint64_t value);

  uint64_t Reg(int gpr);
  void SetReg(int gpr, uint64_t value);
  uint64_t Rip();
  void SetRip(uint64_t rip);
  uint64_t Rflags();
  void SetRflags(uint64_t rflags);

  // Paravisor-code accesses to [addr, addr + size) are recorded (the hardware model's own
  // Read/Write are not: they are what the hardware does).
  void Watch(uint64_t addr, size_t size);
  const std::vector<MemAccess>& accesses() const { return accesses_; }

  struct CallResult {
    bool returned = false;  // reached the caller's return address
    Gprs gprs{};            // at return
    uint64_t rflags = 0;
    uint64_t rsp_before = 0;  // RSP at the call (pointing at the return address)
    std::string error;        // a model error (the first one), or Unicorn's
  };
  // Calls `entry` with every GPR from `gprs` (RSP is replaced by the model's stack, holding a
  // return address) and IF = 0, until it returns to that address.
  CallResult Call(uint64_t entry, const Gprs& gprs, Hardware& hw);

  const std::vector<TraceEntry>& trace() const { return trace_; }

  // The guest fills every RSB entry (what a hostile guest can do before an exit).
  void PoisonRsb();
  // Index in trace() of the first RET after the last PoisonRsb at which guest entries were
  // still in the RSB, or of a RET that consumed one; -1 if none.
  long rsb_violation() const { return rsb_violation_; }
  long last_poison() const { return last_poison_; }

  void Fail(const std::string& why);
  bool failed() const { return !error_.empty(); }

  // Called by Unicorn's hooks.
  void OnCode(uint64_t addr);
  void OnMem(uc_mem_type type, uint64_t addr, int size, int64_t value);

 private:
  void Rsb(bool call);

  const ElfImage& image_;
  uc_engine* uc_ = nullptr;
  Hardware* hw_ = nullptr;
  uint64_t next_alloc_ = kDataBase;
  std::vector<std::pair<uint64_t, uint64_t>> watched_;
  std::vector<MemAccess> accesses_;
  std::vector<TraceEntry> trace_;
  std::array<bool, kRsbEntries> rsb_guest_{};
  int rsb_top_ = 0;
  int rsb_guest_count_ = 0;
  long rsb_violation_ = -1;
  long last_poison_ = -1;
  bool ret_since_poison_ = false;
  std::string error_;
};

}  // namespace hwmodel

#endif  // PV_TESTS_HWMODEL_MACHINE_H_
