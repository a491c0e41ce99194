#include "switch_checks.h"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "hardware.h"
#include "machine.h"
#include "svm/sev_es_save_area.h"
#include "tdx/tdx_abi.h"
#include "tdx/tdx_partition.h"
#include "vcpu/run_state.h"

namespace hwmodel {
namespace {

using pv::VcpuRunState;

constexpr uint64_t kPage = 4096;

// One Machine per image, reused by every run (Unicorn's translation cache stays warm), with a
// fixed layout of the structures the switches use.
struct Rig {
  explicit Rig(const ElfImage& image) : m(image) {
    run = m.Alloc(sizeof(VcpuRunState), 64);
    vmcb = m.Alloc(kPage, kPage);
    host_vmload = m.Alloc(kPage, kPage);
    hsave = m.Alloc(kPage, kPage);
    vmsa = m.Alloc(kPage, kPage);
    l2_state = m.Alloc(sizeof(pv::tdx::L2EnterGuestState), 256);
    exit_record = m.Alloc(sizeof(pv::tdx::TdxExitRecord), 64);
    type_b = m.Alloc(sizeof(pv::svm::SevEsHostTypeB), 64);
    tdx_vcpu = m.Alloc(sizeof(pv::tdx::TdxL2Vcpu), 64);
    m.Watch(vmsa, kPage);
    m.Watch(hsave, kPage);
    m.Watch(l2_state, sizeof(pv::tdx::L2EnterGuestState));
  }
  Machine m;
  uint64_t run, vmcb, host_vmload, hsave, vmsa, l2_state, exit_record, type_b, tdx_vcpu;
};

Rig& RigFor(const ElfImage& image) {
  static std::map<const ElfImage*, std::unique_ptr<Rig>> rigs;
  auto& rig = rigs[&image];
  if (!rig) rig = std::make_unique<Rig>(image);
  return *rig;
}

class Checker {
 public:
  void Expect(bool ok, const std::string& what) {
    if (!ok) v_.push_back(what);
  }
  void ExpectEq(uint64_t seen, uint64_t want, const std::string& what) {
    if (seen != want) v_.push_back(what + ": saw " + Hex(seen) + ", expected " + Hex(want));
  }
  Violations Take() { return std::move(v_); }

 private:
  Violations v_;
};

void ApplyFixed(CpuModel& hw, VcpuRunState& run, const FixedRun& f) {
  hw.spec_ctrl_present = f.spec_ctrl.present;
  run.spec_ctrl_present = f.spec_ctrl.present;
  run.spec_ctrl_intercepted = f.spec_ctrl.intercepted;
  hw.guest_writes_spec_ctrl = !f.spec_ctrl.intercepted;
  run.host_spec_ctrl = f.host_spec_ctrl;
  run.guest_spec_ctrl = f.guest_spec_ctrl;
  hw.spec_ctrl = f.host_spec_ctrl;
  hw.fixed_guest = f.guest_out;
  if (f.guest_writes) {
    hw.fixed_guest_spec_ctrl = *f.guest_writes;
  } else {
    hw.guest_writes_spec_ctrl = false;
  }
  for (int r = 0; r < kGprCount; ++r) run.gprs[r] = f.guest_in[r];
}

Gprs RandomGprs(std::mt19937_64& rng) {
  Gprs g;
  for (uint64_t& x : g) x = rng();
  return g;
}

void SetUpSpecCtrl(CpuModel& hw, VcpuRunState& run, ImageKind kind, const SpecCtrlCase& sc,
                   std::mt19937_64& rng) {
  hw.spec_ctrl_msr = kind.spec_ctrl_msr;
  hw.spec_ctrl_present = sc.present;
  run.host_spec_ctrl = rng();
  run.guest_spec_ctrl = sc.equal ? run.host_spec_ctrl : rng();
  run.spec_ctrl_present = sc.present;
  run.spec_ctrl_intercepted = sc.intercepted;
  hw.spec_ctrl = run.host_spec_ctrl;
  hw.guest_writes_spec_ctrl = !sc.intercepted;
}

// The properties every switch shares: it returns, callee-saved GPRs survive, no guest value is
// left in a GPR, SPEC_CTRL is written/read exactly by the rules and never with a RET or an
// indirect branch between the guest write and the entry, and the RSB is refilled before the
// first RET after the exit.
void CheckCommon(Checker& c, const Machine& m, const CpuModel& hw, const Machine::CallResult& r,
                 const Gprs& host_in, const VcpuRunState& before, const VcpuRunState& after,
                 ImageKind kind, bool expect_entry, const std::set<int>& may_hold_guest_value,
                 bool guest_write_reached = true) {
  c.Expect(r.returned, "did not return: " + r.error);
  if (!r.returned) return;
  for (int reg : {RBX, RBP, R12, R13, R14, R15}) {
    c.ExpectEq(r.gprs[reg], host_in[reg], std::string("callee-saved ") + GprName(reg));
  }
  c.ExpectEq(r.gprs[RSP], r.rsp_before + 8, "RSP after RET");
  std::set<uint64_t> guest_values(hw.guest.begin(), hw.guest.end());
  for (uint64_t g : before.gprs) guest_values.insert(g);  // loaded into registers for the guest
  guest_values.erase(0);
  for (int reg = 0; reg < kGprCount; ++reg) {
    if (reg == RSP || may_hold_guest_value.count(reg)) continue;
    c.Expect(
        guest_values.count(r.gprs[reg]) == 0,
        std::string("guest value left in ") + GprName(reg) + " at return: " + Hex(r.gprs[reg]));
  }
  // The switch leaves IF as it found it: Machine::Call enters with IF = 0, as every contract
  // requires, so IF = 1 here means an STI without its CLI (or a CLI moved out of the path).
  c.ExpectEq(r.rflags & (1u << 9), 0, "RFLAGS.IF at return (the call was made with IF=0)");
  c.ExpectEq(hw.entries, expect_entry ? 1 : 0, "entries into the guest");

  // SPEC_CTRL.
  const long entry = hw.entry_index;
  std::vector<MsrAccess> writes_before, reads_after, writes_after;
  for (const MsrAccess& a : hw.msr_log) {
    // Without any entry attempt (a VM-Fail before it) every access counts as after it.
    const bool before_entry = entry >= 0 && a.trace_index < entry;
    if (a.write && before_entry) writes_before.push_back(a);
    if (!a.write && !before_entry) reads_after.push_back(a);
    if (a.write && !before_entry) writes_after.push_back(a);
    c.Expect(a.write || !before_entry, "SPEC_CTRL read before the entry");
  }
  if (!before.spec_ctrl_present) {
    c.Expect(hw.msr_log.empty(), "SPEC_CTRL accessed although absent");
    return;
  }
  // A VM-Fail of the HOST_RSP VMWRITE leaves before the guest value is written, and must then
  // leave SPEC_CTRL and the guest's value alone: no access at all.
  if (!guest_write_reached) {
    c.Expect(hw.msr_log.empty(), "SPEC_CTRL accessed after a VM-Fail before the guest write");
    c.ExpectEq(after.guest_spec_ctrl, before.guest_spec_ctrl,
               "guest SPEC_CTRL kept after a VM-Fail before the guest write");
    c.ExpectEq(hw.spec_ctrl, before.host_spec_ctrl, "SPEC_CTRL holds the host value at return");
    if (kind.counters) {
      c.ExpectEq(after.spec_ctrl_guest_reads, before.spec_ctrl_guest_reads, "guest-read counter");
      c.ExpectEq(after.spec_ctrl_host_writes, before.spec_ctrl_host_writes, "host-write counter");
    }
    return;
  }
  const bool guest_differs = before.guest_spec_ctrl != before.host_spec_ctrl;
  c.ExpectEq(writes_before.size(), guest_differs ? 1 : 0, "guest SPEC_CTRL writes before entry");
  if (!writes_before.empty()) {
    c.ExpectEq(writes_before[0].value, before.guest_spec_ctrl, "guest SPEC_CTRL value written");
    if (entry >= 0) {
      for (long i = writes_before.back().trace_index + 1; i < entry; ++i) {
        const TraceEntry& t = m.trace()[i];
        c.Expect(t.kind != Insn::kRet && t.kind != Insn::kIndirectJump &&
                     !(t.kind == Insn::kCall && t.indirect),
                 std::string(InsnName(t.kind)) + " at " + Hex(t.rip) +
                     " between the guest SPEC_CTRL write and the entry");
      }
    }
  }
  const uint64_t guest_at_exit = expect_entry    ? hw.spec_ctrl_at_exit
                                 : guest_differs ? before.guest_spec_ctrl
                                                 : before.host_spec_ctrl;
  c.ExpectEq(reads_after.size(), before.spec_ctrl_intercepted ? 0 : 1,
             "guest SPEC_CTRL reads after the exit");
  const uint64_t guest_known =
      before.spec_ctrl_intercepted ? before.guest_spec_ctrl : guest_at_exit;
  c.ExpectEq(after.guest_spec_ctrl, guest_known, "guest SPEC_CTRL kept after the exit");
  c.ExpectEq(writes_after.size(), guest_known != before.host_spec_ctrl ? 1 : 0,
             "host SPEC_CTRL writes after the exit");
  c.ExpectEq(hw.spec_ctrl, before.host_spec_ctrl, "SPEC_CTRL holds the host value at return");
  if (kind.counters) {
    c.ExpectEq(after.spec_ctrl_guest_writes - before.spec_ctrl_guest_writes, writes_before.size(),
               "guest-write counter");
    c.ExpectEq(after.spec_ctrl_guest_reads - before.spec_ctrl_guest_reads, reads_after.size(),
               "guest-read counter");
    c.ExpectEq(after.spec_ctrl_host_writes - before.spec_ctrl_host_writes, writes_after.size(),
               "host-write counter");
  }
}

SwitchCounts g_last_counts;

void RecordCounts(const Machine& m, const CpuModel& hw, const VcpuRunState& before) {
  g_last_counts.spec_ctrl = {before.spec_ctrl_present != 0, before.spec_ctrl_intercepted != 0,
                             before.guest_spec_ctrl == before.host_spec_ctrl};
  g_last_counts.to_entry = hw.entry_index + 1;
  g_last_counts.after_exit = static_cast<long>(m.trace().size()) - hw.entry_index - 1;
}

void CheckRsb(Checker& c, const Machine& m) {
  if (m.rsb_violation() >= 0) {
    c.Expect(false, "RET at " + Hex(m.trace()[m.rsb_violation()].rip) +
                        " with guest entries in the RSB (not refilled after the exit)");
  }
}

VcpuRunState ReadRun(Machine& m, uint64_t addr) {
  VcpuRunState run;
  m.Read(addr, &run, sizeof(run));
  return run;
}

}  // namespace

SwitchCounts LastCounts() {
  return g_last_counts;
}

SpecCtrlCase SpecCtrlCase::Random(std::mt19937_64& rng) {
  const uint64_t bits = rng();
  return {(bits & 3) != 0, (bits & 4) != 0, (bits & 8) != 0};
}

Violations RunSvmOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng,
                      const FixedRun* fixed) {
  Rig& rig = RigFor(image);
  Machine& m = rig.m;
  SvmModel hw(rng);
  VcpuRunState run;
  SetUpSpecCtrl(hw, run, kind, SpecCtrlCase::Random(rng), rng);
  for (uint64_t& g : run.gprs) g = rng();
  if (fixed) ApplyFixed(hw, run, *fixed);
  run.guest_state_pa = rig.vmcb;
  run.host_state_pa = rig.host_vmload;
  m.Write(rig.run, &run, sizeof(run));
  const uint64_t host_token = rng();
  const uint64_t guest_token = rng();
  m.Store64(rig.vmcb + SvmModel::kVmcbNpEnable, 1);  // nested paging only
  m.Store64(rig.vmcb + SvmModel::kVmcbKernelGsBase, guest_token);
  m.Store64(rig.host_vmload + SvmModel::kVmcbKernelGsBase, host_token);
  hw.vmcb_pa = rig.vmcb;
  hw.loaded_kernel_gs_base = host_token;

  Gprs host = RandomGprs(rng);
  host[RDI] = rig.run;
  const Machine::CallResult r = m.Call(image.Symbol("pv_svm_run"), host, hw);
  const VcpuRunState after = ReadRun(m, rig.run);
  Checker c;
  CheckCommon(c, m, hw, r, host, run, after, kind, true, {});
  CheckRsb(c, m);
  RecordCounts(m, hw, run);
  if (!r.returned) return c.Take();
  for (int reg = 0; reg < kGprCount; ++reg) {
    if (reg == RAX || reg == RSP) continue;
    c.ExpectEq(hw.at_entry[reg], run.gprs[reg], std::string("guest ") + GprName(reg) + " at VMRUN");
    c.ExpectEq(after.gprs[reg], hw.guest[reg], std::string("guest ") + GprName(reg) + " saved");
  }
  c.ExpectEq(m.Load64(rig.vmcb + SvmModel::kVmcbKernelGsBase), hw.guest_kernel_gs_base,
             "guest VMSAVE state saved after the exit");
  c.ExpectEq(hw.loaded_kernel_gs_base, host_token, "host VMLOAD state live at return");
  c.Expect(hw.gif, "GIF=0 at return (no STGI)");
  // svm_run.asm's contract since the paravisor's own tick: STI under GIF = 0 before VMRUN, so
  // the saved host IF lets the timer cause #VMEXIT(INTR) and a guest that never exits is
  // preempted (the model's AtBoundary proves the host itself stays uninterruptible).
  c.Expect(hw.host_if_at_vmrun,
           "VMRUN with host IF=0: the paravisor's timer cannot preempt the "
           "guest (no STI under GIF=0)");
  if (fixed && fixed->after) *fixed->after = after;
  return c.Take();
}

namespace {

Violations SevEs(const ElfImage& image, ImageKind kind, std::mt19937_64& rng, bool backend) {
  Rig& rig = RigFor(image);
  Machine& m = rig.m;
  SvmModel hw(rng);
  VcpuRunState run;
  SetUpSpecCtrl(hw, run, kind, SpecCtrlCase::Random(rng), rng);
  run.guest_state_pa = rig.vmcb;
  run.host_state_pa = backend ? 0 : rig.hsave;  // the backend must set it
  m.Write(rig.run, &run, sizeof(run));
  m.Store64(rig.vmcb + SvmModel::kVmcbNpEnable, 1 | 2 | 4);  // NP, SEV, SEV-ES
  m.Store64(rig.vmcb + SvmModel::kVmcbVmsaPa, rig.vmsa);
  hw.vmcb_pa = rig.vmcb;
  hw.hsave_pa = rig.hsave;
  hw.vmsa_pa = rig.vmsa;
  const uint64_t host_token = rng();
  hw.loaded_kernel_gs_base = host_token;

  // The host save area as firmware or an earlier exit left it (stale values everywhere), then
  // the type-B values the C++ backend writes.
  pv::svm::SevEsHostSavePage page;
  for (size_t i = 0; i < sizeof(page); ++i) reinterpret_cast<uint8_t*>(&page)[i] = rng();
  pv::svm::SevEsHostTypeB type_b;
  type_b.xcr0 = rng();
  type_b.xss = rng();
  type_b.pkru = static_cast<uint32_t>(rng());
  type_b.has_xss = rng() & 1;
  type_b.has_pkru = rng() & 1;
  if (backend) {
    m.Write(rig.type_b, &type_b, sizeof(type_b));
  } else {
    pv::svm::WriteHostTypeB(page.save, type_b);
  }
  m.Write(rig.hsave, &page, sizeof(page));
  const pv::svm::SevEsHostSavePage page_before = page;
  const uint64_t hsa = rig.hsave + offsetof(pv::svm::SevEsHostSavePage, save);

  Gprs host = RandomGprs(rng);
  host[RDI] = rig.run;
  host[RSI] = hsa;
  if (backend) {  // RunSevEsOnce(run, hsave_pa, hsave_va, &type_b); identity-mapped here
    host[RSI] = rig.hsave;
    host[RDX] = rig.hsave;
    host[RCX] = rig.type_b;
  }
  const uint64_t entry = backend ? image.SymbolWithPrefix("_ZN2pv3svm12RunSevEsOnce")
                                 : image.Symbol("pv_svm_sev_es_run");
  const Machine::CallResult r = m.Call(entry, host, hw);
  const VcpuRunState after = ReadRun(m, rig.run);
  Checker c;
  CheckCommon(c, m, hw, r, host, run, after, kind, true, {});
  CheckRsb(c, m);
  RecordCounts(m, hw, run);
  if (!r.returned) return c.Take();

  // The VMSA is the guest's, encrypted: the paravisor's code never touches it. The host save
  // area is written by the code in exactly the contract's slots, once each, and never read.
  std::map<uint64_t, int> hsa_writes;
  for (const MemAccess& a : m.accesses()) {
    if (a.addr >= rig.vmsa && a.addr < rig.vmsa + kPage) {
      c.Expect(false, std::string(a.write ? "write" : "read") + " of the VMSA at +" +
                          Hex(a.addr - rig.vmsa) + " by code at " + Hex(a.rip));
    } else if (a.addr >= rig.hsave && a.addr < rig.hsave + kPage) {
      const uint64_t off = a.addr - hsa;
      const bool pkru = off == offsetof(pv::svm::SevEsSaveArea, pkru);
      c.Expect(a.write && a.size == (pkru ? 4 : 8),
               "host save area access other than a store of the slot's size at +" +
                   Hex(a.addr - rig.hsave) + " by " + Hex(a.rip));
      ++hsa_writes[off];
    }
  }
  const std::map<int, uint64_t> contract = {
      {RBX, host[RBX]}, {RBP, r.rsp_before - 8}, {RSI, hsa},       {RDI, rig.run},
      {R12, host[R12]}, {R13, host[R13]},        {R14, host[R14]}, {R15, host[R15]}};
  for (const auto& [reg, value] : contract) {
    const uint64_t off = offsetof(pv::svm::SevEsSaveArea, gprs) + 8ull * reg;
    c.ExpectEq(hsa_writes[off], 1, std::string("stores of ") + GprName(reg) + " in the save area");
    c.ExpectEq(m.Load64(hsa + off), value, std::string("host save area ") + GprName(reg));
    hsa_writes.erase(off);
  }
  if (backend) {  // the type-B slots, once each
    for (const uint64_t off :
         {offsetof(pv::svm::SevEsSaveArea, xcr0), offsetof(pv::svm::SevEsSaveArea, xss),
          offsetof(pv::svm::SevEsSaveArea, pkru)}) {
      c.ExpectEq(hsa_writes[off], 1, "type-B store at +" + Hex(off));
      hsa_writes.erase(off);
    }
  }
  for (const auto& [off, n] : hsa_writes) {
    c.Expect(false, "store to host save area +" + Hex(off) + " outside the contract");
  }
  if (!backend) c.ExpectEq(hw.xcr0, page_before.save.xcr0, "XCR0 reloaded by #VMEXIT");
  c.ExpectEq(hw.xcr0, type_b.xcr0, "XCR0 in the save area is the host's");
  c.ExpectEq(hw.xss, type_b.has_xss ? type_b.xss : 0, "XSS in the save area");
  c.ExpectEq(hw.pkru, type_b.has_pkru ? type_b.pkru : 0, "PKRU in the save area");
  c.ExpectEq(hw.loaded_kernel_gs_base, host_token, "host VMSAVE state reloaded by #VMEXIT");
  c.Expect(hw.gif, "GIF=0 at return (no STGI)");
  // The SEV-ES contract (KVM's rule): IF stays 0 throughout, no STI before VMRUN.
  c.Expect(!hw.host_if_at_vmrun, "SEV-ES VMRUN with host IF=1 (its contract keeps IF=0)");
  if (backend) c.ExpectEq(after.host_state_pa, rig.hsave, "run.host_state_pa = the HSAVE page");
  return c.Take();
}

}  // namespace

Violations RunSevEsOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng) {
  return SevEs(image, kind, rng, false);
}
Violations RunSevEsBackendOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng) {
  return SevEs(image, kind, rng, true);
}

Violations RunVmxOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng,
                      const FixedRun* fixed) {
  Rig& rig = RigFor(image);
  Machine& m = rig.m;
  Checker c;
  // Two switches on one VMCS, as the run loop does: the first (VMLAUNCH, or a VM-Fail case)
  // with a stale HOST_RSP cache, the second (VMRESUME) with the cache the first left.
  const uint64_t mode = fixed ? 2 : rng() % 8;  // 0: VMfailInvalid, 1: VMfailValid, else entries
  VcpuRunState run;
  run.host_rsp = rng();
  run.launched = mode == 1;  // VMRESUME of a VMCS that was never launched: VMfailValid
  std::map<uint32_t, uint64_t> vmcs = {{VmxModel::kHostRip, image.Symbol("pv_vmx_exit_label")},
                                       {VmxModel::kHostRsp, run.host_rsp}};
  bool launched = false;
  for (int round = 0; round < 2; ++round) {
    VmxModel hw(rng);
    SetUpSpecCtrl(hw, run, kind, SpecCtrlCase::Random(rng), rng);
    for (uint64_t& g : run.gprs) g = rng();
    if (fixed) ApplyFixed(hw, run, *fixed);
    hw.current_vmcs = !(mode == 0 && round == 0);
    hw.launched = launched;
    hw.vmcs = vmcs;
    m.Write(rig.run, &run, sizeof(run));
    Gprs host = RandomGprs(rng);
    host[RDI] = rig.run;
    const Machine::CallResult r = m.Call(image.Symbol("pv_vmx_run"), host, hw);
    const VcpuRunState after = ReadRun(m, rig.run);
    const bool expect_fail = round == 0 && mode < 2;
    const bool host_rsp_write_fails = round == 0 && mode == 0;
    CheckCommon(c, m, hw, r, host, run, after, kind, !expect_fail, {RAX}, !host_rsp_write_fails);
    CheckRsb(c, m);
    RecordCounts(m, hw, run);
    if (!r.returned) return c.Take();
    c.ExpectEq(r.gprs[RAX], expect_fail ? (mode == 0 ? 2 : 1) : 0, "pv_vmx_run result");
    if (!expect_fail) {
      for (int reg = 0; reg < kGprCount; ++reg) {
        if (reg == RSP) continue;
        c.ExpectEq(hw.at_entry[reg], run.gprs[reg],
                   std::string("guest ") + GprName(reg) + " at VM entry");
        c.ExpectEq(after.gprs[reg], hw.guest[reg], std::string("guest ") + GprName(reg) + " saved");
      }
      c.ExpectEq(hw.vmwrites, (round == 0 || mode == 0) ? 1 : 0,
                 "HOST_RSP VMWRITEs (only when it changed)");
      c.ExpectEq(hw.vmcs[VmxModel::kHostRsp], after.host_rsp, "HOST_RSP cache");
    }
    if (fixed && fixed->after) *fixed->after = after;
    launched = hw.launched;
    vmcs = hw.vmcs;
    run = after;
    run.launched = launched;  // what C++ sets after a successful entry
  }
  return c.Take();
}

namespace {

Violations Tdx(const ElfImage& image, ImageKind kind, std::mt19937_64& rng, bool backend) {
  Rig& rig = RigFor(image);
  Machine& m = rig.m;
  TdxModel hw(rng);
  VcpuRunState run;
  SetUpSpecCtrl(hw, run, kind, SpecCtrlCase::Random(rng), rng);
  run.guest_state_pa = rig.l2_state;
  m.Write(rig.run, &run, sizeof(run));
  hw.l2_state_gpa = rig.l2_state;
  uint8_t l2[TdxModel::kL2StateBytes];
  for (uint8_t& b : l2) b = static_cast<uint8_t>(rng());
  m.Write(rig.l2_state, l2, sizeof(l2));
  uint8_t stale[sizeof(pv::tdx::TdxExitRecord)];
  for (uint8_t& b : stale) b = static_cast<uint8_t>(rng());
  m.Write(rig.exit_record, stale, sizeof(stale));
  const unsigned vm_index = 1 + rng() % 3;
  const uint64_t flush = rng() % 4;
  const uint64_t vm_flags = pv::tdx::vm_flags::Make(vm_index, flush);
  // Sometimes a CPUID exit (reason 10) with a 2-byte instruction, to check the decoding.
  hw.cpuid_exit = rng() & 1;

  Gprs host = RandomGprs(rng);
  host[RDI] = rig.run;
  host[RSI] = vm_flags;
  host[RDX] = rig.exit_record;
  uint64_t exit_record = rig.exit_record;
  if (backend) {  // EnterL2Once(run, tdx_vcpu, flush)
    pv::tdx::TdxL2Vcpu vcpu;
    // A model address, never dereferenced on the host: the firmware code sees it identity-mapped.
    vcpu.state = reinterpret_cast<pv::tdx::L2EnterGuestState*>(rig.l2_state);  // NOLINT
    vcpu.state_gpa = rig.l2_state;
    vcpu.vm_index = vm_index;
    m.Write(rig.tdx_vcpu, &vcpu, sizeof(vcpu));
    exit_record = rig.tdx_vcpu + offsetof(pv::tdx::TdxL2Vcpu, exit);
    m.Write(exit_record, stale, sizeof(stale));
    host[RSI] = rig.tdx_vcpu;
    host[RDX] = flush;
    run.guest_state_pa = 0;  // the backend must set it
    m.Write(rig.run, &run, sizeof(run));
  }
  const uint64_t entry =
      backend ? image.SymbolWithPrefix("_ZN2pv3tdx11EnterL2Once") : image.Symbol("pv_tdx_l2_enter");
  const Machine::CallResult r = m.Call(entry, host, hw);
  const VcpuRunState after = ReadRun(m, rig.run);
  Checker c;
  CheckCommon(c, m, hw, r, host, run, after, kind, true, {RAX});
  CheckRsb(c, m);
  RecordCounts(m, hw, run);
  if (!r.returned) return c.Take();
  c.ExpectEq(r.gprs[RAX], hw.outputs[RAX], "pv_tdx_l2_enter result (TDG.VP.ENTER RAX)");
  c.ExpectEq(hw.vm_flags, vm_flags, "TDG.VP.ENTER RCX");
  c.Expect(std::memcmp(hw.l2_in, l2, sizeof(l2)) == 0, "L2 state the module read differs");
  uint8_t l2_after[TdxModel::kL2StateBytes];
  m.Read(rig.l2_state, l2_after, sizeof(l2_after));
  c.Expect(std::memcmp(l2_after, hw.l2_out, sizeof(l2_after)) == 0,
           "L2 state written back by the module was changed");
  for (const MemAccess& a : m.accesses()) {
    c.Expect(!(a.addr >= rig.l2_state && a.addr < rig.l2_state + sizeof(l2)),
             "L2 state buffer touched by the switch at " + Hex(a.rip));
  }
  pv::tdx::TdxExitRecord rec;
  m.Read(exit_record, &rec, sizeof(rec));
  const std::pair<uint64_t, int> fields[] = {
      {rec.rax, RAX}, {rec.rcx, RCX}, {rec.rdx, RDX}, {rec.rsi, RSI}, {rec.rdi, RDI}, {rec.r8, R8},
      {rec.r9, R9},   {rec.r10, R10}, {rec.r11, R11}, {rec.r12, R12}, {rec.r13, R13}};
  for (const auto& [value, reg] : fields) {
    c.ExpectEq(value, hw.outputs[reg], std::string("exit record ") + GprName(reg));
  }
  if (backend) {
    c.ExpectEq(after.guest_state_pa, rig.l2_state, "run.guest_state_pa = the L2 state buffer");
    pv::tdx::L2EnterGuestState state;
    std::memcpy(&state, l2_after, sizeof(state));
    const pv::Exit e = pv::tdx::DecodeTdxExit(rec, state);
    if (hw.cpuid_exit) {
      c.Expect(e.reason == pv::ExitReason::kCpuid, "a CPUID L2 exit not decoded as CPUID");
      c.Expect(e.length_valid && e.instruction_length == 2,
               "CPUID L2 exit: length not the module's instruction length");
    }
  }
  return c.Take();
}

}  // namespace

Violations RunTdxOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng) {
  return Tdx(image, kind, rng, false);
}
Violations RunTdxBackendOnce(const ElfImage& image, ImageKind kind, std::mt19937_64& rng) {
  return Tdx(image, kind, rng, true);
}

}  // namespace hwmodel
