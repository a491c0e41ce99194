// The hardware semantics the model implements for the world-switch instructions, written from
// the AMD APM vol. 2 (VMRUN with and without SEV-ES, #VMEXIT, VMLOAD/VMSAVE, CLGI/STGI), the
// Intel SDM vol. 3 (VMLAUNCH/VMRESUME, VMREAD/VMWRITE, VM-Fail, VM exit) and the TDX module ABI
// (TDG.VP.ENTER). Each model also plays the guest: between the entry instruction and the exit it
// scribbles random values into everything a guest can change (its GPRs, SPEC_CTRL if writes are
// not intercepted, its VMLOAD/VMSAVE state, the RSB).
#ifndef PV_TESTS_HWMODEL_HARDWARE_H_
#define PV_TESTS_HWMODEL_HARDWARE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "machine.h"

namespace hwmodel {

struct MsrAccess {
  bool write;
  uint32_t msr;
  uint64_t value;
  long trace_index;
};

// What every vendor shares: MSRs (SPEC_CTRL present or not), and the guest's SPEC_CTRL writes.
class CpuModel : public Hardware {
 public:
  explicit CpuModel(std::mt19937_64& rng) : rng_(rng) {}

  uint32_t spec_ctrl_msr = 0x48;
  bool spec_ctrl_present = true;
  uint64_t spec_ctrl = 0;               // the MSR's hardware value
  bool guest_writes_spec_ctrl = false;  // not intercepted: the guest may write it directly
  std::vector<MsrAccess> msr_log;
  long entry_index = -1;  // trace index of the last entry instruction (VMRUN, VMRESUME, TDCALL)
  int entries = 0;
  bool guest_changed_spec_ctrl = false;
  Gprs guest{};                    // the values the guest left in its registers at the exit
  Gprs at_entry{};                 // the GPRs at the entry instruction
  uint64_t spec_ctrl_at_exit = 0;  // the MSR's value when the guest exited
  // Deterministic guests (the emulator-run reproductions): fixed values instead of random ones.
  std::optional<Gprs> fixed_guest;
  std::optional<uint64_t> fixed_guest_spec_ctrl;

  bool Execute(Machine& m, const Decoded& insn, uint64_t rip) override;
  // An interrupt is taken at an instruction boundary when RFLAGS.IF = 1, GIF = 1 (SVM; always 1
  // elsewhere) and no STI shadow is in effect (SDM/APM: after an STI that set IF, interrupts
  // stay inhibited until the next instruction has executed). A world switch must never be
  // interruptible: the model fails the run at the first boundary where one could get in.
  bool AtBoundary(Machine& m, uint64_t rip) override;

 protected:
  virtual bool Gif() const { return true; }
  virtual bool ExecuteVendor(Machine& m, const Decoded& insn, uint64_t rip) = 0;
  // The guest's run between entry and exit: new GPR values, maybe a new SPEC_CTRL, RSB poison.
  void GuestRuns(Machine& m);
  uint64_t Random() { return rng_(); }
  static void CaptureGprs(Machine& m, Gprs* out);

 private:
  std::mt19937_64& rng_;
  bool sti_shadow_ = false;  // the instruction after an STI that set IF is not interruptible
};

// SVM: legacy VMRUN (guest GPRs but RAX/RSP in registers) and SEV-ES VMRUN (chosen by the VMCB's
// SEV-ES enable bit, as the hardware does).
class SvmModel : public CpuModel {
 public:
  using CpuModel::CpuModel;
  static constexpr uint64_t kVmcbNpEnable = 0x090;
  static constexpr uint64_t kVmcbVmsaPa = 0x108;
  static constexpr uint64_t kVmcbExitCode = 0x070;
  static constexpr uint64_t kVmcbRsp = 0x400 + 0x1d8;
  static constexpr uint64_t kVmcbRax = 0x400 + 0x1f8;
  // The VMLOAD/VMSAVE state is modelled by one representative field, KernelGsBase (0x220 in
  // the save area): VMLOAD/VMSAVE move it, VMRUN does not, #VMEXIT of SEV-ES reloads it (type B).
  static constexpr uint64_t kVmcbKernelGsBase = 0x400 + 0x220;
  static constexpr uint64_t kHostSaveArea = 0x400;  // in the VM_HSAVE_PA page
  static constexpr uint64_t kSaveGprs = 0x300;
  static constexpr uint64_t kSaveXcr0 = 0x3e8;
  static constexpr uint64_t kSavePkru = 0x2e8;
  static constexpr uint64_t kSaveXss = 0x140;

  uint64_t vmcb_pa = 0;
  uint64_t hsave_pa = 0;               // VM_HSAVE_PA
  uint64_t vmsa_pa = 0;                // SEV-ES: the page the VMCB must point at
  uint64_t loaded_kernel_gs_base = 0;  // the live VMLOAD/VMSAVE state
  uint64_t guest_kernel_gs_base = 0;   // what the guest left live at the exit
  bool gif = true;
  bool sev_es_entry = false;
  uint64_t xcr0 = 0, xss = 0, pkru = 0;  // as #VMEXIT of SEV-ES reloaded them
  uint64_t exit_code = 0x72;             // CPUID, or INTR when the tick preempted the guest
  // RFLAGS.IF of the host at VMRUN. With V_INTR_MASKING (the paravisor's VMCBs) it is this
  // saved host IF, not the guest's, that lets a physical interrupt cause #VMEXIT(INTR): IF = 1
  // here is what makes the guest preemptible by the paravisor's timer (GIF = 0 still holds the
  // interrupt off the host itself).
  bool host_if_at_vmrun = false;

 protected:
  bool Gif() const override { return gif; }
  bool ExecuteVendor(Machine& m, const Decoded& insn, uint64_t rip) override;

 private:
  bool Vmrun(Machine& m, uint64_t rip);
};

// VMX: a current VMCS with its launch state and fields (VMWRITE/VMREAD register forms).
class VmxModel : public CpuModel {
 public:
  using CpuModel::CpuModel;
  static constexpr uint32_t kHostRsp = 0x6c14;
  static constexpr uint32_t kHostRip = 0x6c16;
  static constexpr uint32_t kVmInstructionError = 0x4400;

  bool current_vmcs = true;
  bool launched = false;
  std::map<uint32_t, uint64_t> vmcs;
  int vmwrites = 0;

 protected:
  bool ExecuteVendor(Machine& m, const Decoded& insn, uint64_t rip) override;

 private:
  void Succeed(Machine& m);
  void FailValid(Machine& m, uint64_t error);
  void FailInvalid(Machine& m);
};

// TDX: TDG.VP.ENTER as the TDX module implements it for an L1 VMM in a partitioned TD.
class TdxModel : public CpuModel {
 public:
  using CpuModel::CpuModel;
  static constexpr int kL2StateBytes = 256;

  uint64_t l2_state_gpa = 0;           // the one L2_ENTER_GUEST_STATE buffer the test set up
  uint8_t l2_in[kL2StateBytes] = {};   // what the module read at entry
  uint8_t l2_out[kL2StateBytes] = {};  // what it wrote back at the L2 exit
  Gprs outputs{};                      // the L1 GPRs it returned with
  uint64_t vm_flags = 0;
  bool cpuid_exit = false;  // exit reason 10 with instruction length 2, instead of random

 protected:
  bool ExecuteVendor(Machine& m, const Decoded& insn, uint64_t rip) override;
};

}  // namespace hwmodel

#endif  // PV_TESTS_HWMODEL_HARDWARE_H_
