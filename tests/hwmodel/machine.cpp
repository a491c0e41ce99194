#include "machine.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hwmodel {
namespace {

constexpr int kUcGpr[kGprCount] = {UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
                                   UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
                                   UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
                                   UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMaxInstructions = 100000;  // a switch is a few hundred: a loop is a bug

void Check(uc_err err, const char* what) {
  if (err != UC_ERR_OK) {
    (void)std::fprintf(stderr, "hwmodel: unicorn %s: %s\n", what, uc_strerror(err));
    std::abort();
  }
}

void CodeHook(uc_engine*, uint64_t addr, uint32_t, void* user) {
  static_cast<Machine*>(user)->OnCode(addr);
}

void MemHook(uc_engine*, uc_mem_type type, uint64_t addr, int size, int64_t value, void* user) {
  static_cast<Machine*>(user)->OnMem(type, addr, size, value);
}

}  // namespace

std::string Hex(uint64_t v) {
  char buf[24];
  (void)std::snprintf(buf, sizeof(buf), "0x%lx", static_cast<unsigned long>(v));
  return buf;
}

const char* GprName(int r) {
  static const char* const kNames[kGprCount] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                                "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                                "r12", "r13", "r14", "r15"};
  return r >= 0 && r < kGprCount ? kNames[r] : "?";
}

const char* InsnName(Insn insn) {
  switch (insn) {
    case Insn::kOther:
      return "other";
    case Insn::kCall:
      return "call";
    case Insn::kRet:
      return "ret";
    case Insn::kIndirectJump:
      return "jmp-indirect";
    case Insn::kSti:
      return "sti";
    case Insn::kCli:
      return "cli";
    case Insn::kWrmsr:
      return "wrmsr";
    case Insn::kRdmsr:
      return "rdmsr";
    case Insn::kXgetbv:
      return "xgetbv";
    case Insn::kVerw:
      return "verw";
    case Insn::kVmrun:
      return "vmrun";
    case Insn::kVmload:
      return "vmload";
    case Insn::kVmsave:
      return "vmsave";
    case Insn::kClgi:
      return "clgi";
    case Insn::kStgi:
      return "stgi";
    case Insn::kVmlaunch:
      return "vmlaunch";
    case Insn::kVmresume:
      return "vmresume";
    case Insn::kVmread:
      return "vmread";
    case Insn::kVmwrite:
      return "vmwrite";
    case Insn::kTdcall:
      return "tdcall";
  }
  return "?";
}

// Only what the world-switch code uses needs a length here: Unicorn executes everything else.
Decoded Classify(const uint8_t* b, size_t n) {
  Decoded d;
  size_t i = 0;
  bool opsize = false;
  uint8_t rex = 0;
  while (i < n && (b[i] == 0x66 || b[i] == 0xf2 || b[i] == 0xf3 || (b[i] & 0xf0) == 0x40)) {
    if (b[i] == 0x66) opsize = true;
    rex = (b[i] & 0xf0) == 0x40 ? b[i] : 0;  // REX counts only right before the opcode
    ++i;
  }
  if (i >= n) return d;
  const uint8_t op = b[i];
  if (op == 0xe8) return {Insn::kCall, static_cast<unsigned>(i + 5), false};
  if (op == 0xc3 || op == 0xc2 || op == 0xcb || op == 0xca || op == 0xcf) {
    d.kind = Insn::kRet;
    return d;
  }
  if (op == 0xfb) return {Insn::kSti, static_cast<unsigned>(i + 1)};
  if (op == 0xfa) return {Insn::kCli, static_cast<unsigned>(i + 1)};
  if (op == 0xff && i + 1 < n) {
    const unsigned sub = (b[i + 1] >> 3) & 7;
    if (sub == 2 || sub == 3) {
      d.kind = Insn::kCall;
      d.indirect = true;
    } else if (sub == 4 || sub == 5) {
      d.kind = Insn::kIndirectJump;
    }
    return d;
  }
  if (op != 0x0f || i + 2 >= n) return d;
  const uint8_t op2 = b[i + 1];
  const uint8_t op3 = b[i + 2];
  const auto at = [&](Insn k, unsigned len) { return Decoded{k, static_cast<unsigned>(i + len)}; };
  if (op2 == 0x30) return at(Insn::kWrmsr, 2);
  if (op2 == 0x32) return at(Insn::kRdmsr, 2);
  if (op2 == 0x00 && ((op3 >> 3) & 7) == 5) {
    d.kind = Insn::kVerw;  // Unicorn executes VERW itself; only the trace needs it
    return d;
  }
  if (op2 == 0x78 || op2 == 0x79) {
    d.kind = op2 == 0x78 ? Insn::kVmread : Insn::kVmwrite;
    d.length = static_cast<unsigned>(i + 3);
    d.reg = ((op3 >> 3) & 7) | ((rex & 4) ? 8 : 0);
    d.rm = (op3 >> 6) == 3 ? ((op3 & 7) | ((rex & 1) ? 8 : 0)) : -1;
    return d;
  }
  if (op2 != 0x01) return d;
  switch (op3) {
    case 0xd8:
      return at(Insn::kVmrun, 3);
    case 0xda:
      return at(Insn::kVmload, 3);
    case 0xdb:
      return at(Insn::kVmsave, 3);
    case 0xdc:
      return at(Insn::kStgi, 3);
    case 0xdd:
      return at(Insn::kClgi, 3);
    case 0xd0:
      return at(Insn::kXgetbv, 3);
    case 0xc2:
      return at(Insn::kVmlaunch, 3);
    case 0xc3:
      return at(Insn::kVmresume, 3);
    case 0xcc:
      if (opsize) return at(Insn::kTdcall, 3);
      break;
    default:
      break;
  }
  return d;
}

Machine::Machine(const ElfImage& image) : image_(image) {
  Check(uc_open(UC_ARCH_X86, UC_MODE_64, &uc_), "open");
  for (const Segment& seg : image.segments) {
    const uint64_t start = seg.vaddr & ~(kPage - 1);
    const uint64_t end = (seg.vaddr + seg.bytes.size() + kPage - 1) & ~(kPage - 1);
    Check(uc_mem_map(uc_, start, end - start, UC_PROT_ALL), "map image");
    Check(uc_mem_write(uc_, seg.vaddr, seg.bytes.data(), seg.bytes.size()), "load image");
  }
  Check(uc_mem_map(uc_, kDataBase, kDataSize, UC_PROT_READ | UC_PROT_WRITE), "map data");
  Check(uc_mem_map(uc_, kStackTop - 0x10000, 0x10000, UC_PROT_READ | UC_PROT_WRITE), "map stack");
  Check(uc_mem_map(uc_, kReturnSentinel, kPage, UC_PROT_ALL), "map sentinel");
  const uint8_t hlt = 0xf4;
  Check(uc_mem_write(uc_, kReturnSentinel, &hlt, 1), "sentinel");
  uc_hook h;
  Check(uc_hook_add(uc_, &h, UC_HOOK_CODE, reinterpret_cast<void*>(CodeHook), this, 1, 0), "hook");
  Check(uc_hook_add(uc_, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, reinterpret_cast<void*>(MemHook),
                    this, kDataBase, kDataBase + kDataSize - 1),
        "hook mem");
}

Machine::~Machine() {
  uc_close(uc_);
}

uint64_t Machine::Alloc(size_t size, size_t align) {
  next_alloc_ = (next_alloc_ + align - 1) & ~(uint64_t{align} - 1);
  const uint64_t addr = next_alloc_;
  next_alloc_ += size;
  if (next_alloc_ > kDataBase + kDataSize) {
    (void)std::fprintf(stderr, "hwmodel: data region exhausted\n");
    std::abort();
  }
  return addr;
}

void Machine::Write(uint64_t addr, const void* data, size_t size) {
  Check(uc_mem_write(uc_, addr, data, size), "mem write");
}
void Machine::Read(uint64_t addr, void* data, size_t size) {
  Check(uc_mem_read(uc_, addr, data, size), "mem read");
}
uint64_t Machine::Load64(uint64_t addr) {
  uint64_t v = 0;
  Read(addr, &v, sizeof(v));
  return v;
}
void Machine::Store64(uint64_t addr, uint64_t value) {
  Write(addr, &value, sizeof(value));
}

uint64_t Machine::Reg(int gpr) {
  uint64_t v = 0;
  Check(uc_reg_read(uc_, kUcGpr[gpr], &v), "reg read");
  return v;
}
void Machine::SetReg(int gpr, uint64_t value) {
  Check(uc_reg_write(uc_, kUcGpr[gpr], &value), "reg write");
}
uint64_t Machine::Rip() {
  uint64_t v = 0;
  Check(uc_reg_read(uc_, UC_X86_REG_RIP, &v), "rip read");
  return v;
}
void Machine::SetRip(uint64_t rip) {
  Check(uc_reg_write(uc_, UC_X86_REG_RIP, &rip), "rip");
}
uint64_t Machine::Rflags() {
  uint64_t v = 0;
  Check(uc_reg_read(uc_, UC_X86_REG_RFLAGS, &v), "rflags read");
  return v;
}
void Machine::SetRflags(uint64_t rflags) {
  Check(uc_reg_write(uc_, UC_X86_REG_RFLAGS, &rflags), "rflags write");
}

void Machine::Watch(uint64_t addr, size_t size) {
  watched_.emplace_back(addr, addr + size);
}

void Machine::PoisonRsb() {
  rsb_guest_.fill(true);
  rsb_guest_count_ = kRsbEntries;
  last_poison_ = static_cast<long>(trace_.size()) - 1;
  ret_since_poison_ = false;
}

void Machine::Rsb(bool call) {
  if (call) {
    rsb_top_ = (rsb_top_ + 1) % kRsbEntries;
    if (rsb_guest_[rsb_top_]) --rsb_guest_count_;
    rsb_guest_[rsb_top_] = false;
    return;
  }
  // A RET predicts from the top entry; an underflow wraps to stale entries, as real RSBs do.
  const bool guest_entry = rsb_guest_[rsb_top_];
  const bool first = !ret_since_poison_;
  ret_since_poison_ = true;
  if (rsb_violation_ < 0 && (guest_entry || (first && last_poison_ >= 0 && rsb_guest_count_ > 0))) {
    rsb_violation_ = static_cast<long>(trace_.size()) - 1;
  }
  rsb_top_ = (rsb_top_ + kRsbEntries - 1) % kRsbEntries;
}

void Machine::Fail(const std::string& why) {
  if (error_.empty()) {
    char where[64];
    (void)std::snprintf(where, sizeof(where), " (at RIP 0x%lx)", static_cast<unsigned long>(Rip()));
    error_ = why + where;
  }
  uc_emu_stop(uc_);
}

void Machine::OnCode(uint64_t addr) {
  if (!error_.empty()) return;
  uint8_t bytes[16] = {};
  // Fetch what exists: an instruction may end close to the end of the image mapping.
  size_t n = sizeof(bytes);
  while (n > 0 && uc_mem_read(uc_, addr, bytes, n) != UC_ERR_OK) --n;
  const Decoded d = Classify(bytes, n);
  trace_.push_back({addr, d.kind, d.indirect});
  if (trace_.size() > kMaxInstructions) {
    Fail("more than 100000 instructions: the routine does not return");
    return;
  }
  if (!hw_->AtBoundary(*this, addr)) return;
  switch (d.kind) {
    case Insn::kCall:
      Rsb(true);
      return;
    case Insn::kRet:
      Rsb(false);
      return;
    case Insn::kOther:
    case Insn::kIndirectJump:
    case Insn::kVerw:
      return;
    default:
      break;
  }
  if (hw_->Execute(*this, d, addr)) return;
  if (error_.empty()) Fail(std::string("hardware model refused ") + InsnName(d.kind));
}

void Machine::OnMem(uc_mem_type type, uint64_t addr, int size, int64_t value) {
  for (const auto& [lo, hi] : watched_) {
    if (addr + static_cast<uint64_t>(size) > lo && addr < hi) {
      accesses_.push_back({Rip(), addr, size, type == UC_MEM_WRITE, static_cast<uint64_t>(value)});
      return;
    }
  }
}

Machine::CallResult Machine::Call(uint64_t entry, const Gprs& gprs, Hardware& hw) {
  hw_ = &hw;
  trace_.clear();
  accesses_.clear();
  error_.clear();
  rsb_guest_.fill(false);
  rsb_guest_count_ = 0;
  rsb_violation_ = -1;
  last_poison_ = -1;
  ret_since_poison_ = false;
  CallResult r;
  r.rsp_before = kStackTop - 0x100 - 8;  // as after a CALL from 16-byte aligned code
  Store64(r.rsp_before, kReturnSentinel);
  for (int i = 0; i < kGprCount; ++i) SetReg(i, gprs[i]);
  SetReg(RSP, r.rsp_before);
  SetRflags(0x2);  // IF = 0: every switch's contract is to be called with interrupts off
  const uc_err err = uc_emu_start(uc_, entry, kReturnSentinel, 0, 0);
  if (err != UC_ERR_OK && error_.empty()) {
    error_ = std::string("unicorn: ") + uc_strerror(err);
  }
  r.error = error_;
  r.returned = error_.empty() && Rip() == kReturnSentinel;
  if (error_.empty() && !r.returned) r.error = "stopped without returning";
  for (int i = 0; i < kGprCount; ++i) r.gprs[i] = Reg(i);
  r.rflags = Rflags();
  hw_ = nullptr;
  return r;
}

}  // namespace hwmodel
