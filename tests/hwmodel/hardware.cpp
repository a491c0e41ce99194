#include "hardware.h"

#include <cstdio>
#include <string>

namespace hwmodel {
namespace {

constexpr uint64_t kRflagsCf = 1u << 0;
constexpr uint64_t kRflagsPf = 1u << 2;
constexpr uint64_t kRflagsAf = 1u << 4;
constexpr uint64_t kRflagsZf = 1u << 6;
constexpr uint64_t kRflagsSf = 1u << 7;
constexpr uint64_t kRflagsIf = 1u << 9;
constexpr uint64_t kRflagsOf = 1u << 11;
constexpr uint64_t kVmStatusFlags =
    kRflagsCf | kRflagsPf | kRflagsAf | kRflagsZf | kRflagsSf | kRflagsOf;

}  // namespace

void CpuModel::CaptureGprs(Machine& m, Gprs* out) {
  for (int r = 0; r < kGprCount; ++r) (*out)[r] = m.Reg(r);
}

void CpuModel::GuestRuns(Machine& m) {
  entry_index = static_cast<long>(m.trace().size()) - 1;
  ++entries;
  for (uint64_t& g : guest) g = Random();
  if (fixed_guest) guest = *fixed_guest;
  if (spec_ctrl_present && guest_writes_spec_ctrl) {
    if (fixed_guest_spec_ctrl) {
      spec_ctrl = *fixed_guest_spec_ctrl;
      guest_changed_spec_ctrl = true;
    } else if (Random() & 1) {
      spec_ctrl = Random();
      guest_changed_spec_ctrl = true;
    }
  }
  spec_ctrl_at_exit = spec_ctrl;
  m.PoisonRsb();
}

bool CpuModel::AtBoundary(Machine& m, uint64_t rip) {
  const bool shadow = sti_shadow_;
  sti_shadow_ = false;
  if ((m.Rflags() & kRflagsIf) == 0 || !Gif() || shadow) return true;
  m.Fail("interruptible inside the world switch before " + Hex(rip) +
         " (IF=1, GIF=1, no STI shadow): the host's timer interrupt would be taken here");
  return false;
}

bool CpuModel::Execute(Machine& m, const Decoded& insn, uint64_t rip) {
  const long index = static_cast<long>(m.trace().size()) - 1;
  switch (insn.kind) {
    case Insn::kSti:
      // The shadow exists only if STI changed IF from 0 to 1.
      sti_shadow_ = (m.Rflags() & kRflagsIf) == 0;
      m.SetRflags(m.Rflags() | kRflagsIf);
      m.SetRip(rip + insn.length);
      return true;
    case Insn::kCli:
      m.SetRflags(m.Rflags() & ~kRflagsIf);
      m.SetRip(rip + insn.length);
      return true;
    case Insn::kWrmsr: {
      const uint32_t msr = static_cast<uint32_t>(m.Reg(RCX));
      const uint64_t value = (m.Reg(RDX) << 32) | (m.Reg(RAX) & 0xffffffffu);
      if (msr != spec_ctrl_msr) {
        m.Fail("WRMSR of an MSR the world switch has no business with: " + Hex(msr));
        return false;
      }
      if (!spec_ctrl_present) {
        m.Fail("#GP: WRMSR of SPEC_CTRL on a CPU without it");
        return false;
      }
      spec_ctrl = value;
      msr_log.push_back({true, msr, value, index});
      m.SetRip(rip + insn.length);
      return true;
    }
    case Insn::kRdmsr: {
      const uint32_t msr = static_cast<uint32_t>(m.Reg(RCX));
      if (msr != spec_ctrl_msr) {
        m.Fail("RDMSR of an MSR the world switch has no business with: " + Hex(msr));
        return false;
      }
      if (!spec_ctrl_present) {
        m.Fail("#GP: RDMSR of SPEC_CTRL on a CPU without it");
        return false;
      }
      m.SetReg(RAX, spec_ctrl & 0xffffffffu);  // RDMSR zero-extends both halves
      m.SetReg(RDX, spec_ctrl >> 32);
      msr_log.push_back({false, msr, spec_ctrl, index});
      m.SetRip(rip + insn.length);
      return true;
    }
    default:
      return ExecuteVendor(m, insn, rip);
  }
}

// ---- SVM -------------------------------------------------------------------------------------

bool SvmModel::ExecuteVendor(Machine& m, const Decoded& insn, uint64_t rip) {
  switch (insn.kind) {
    case Insn::kClgi:
      gif = false;
      break;
    case Insn::kStgi:
      gif = true;
      break;
    case Insn::kVmload:
    case Insn::kVmsave: {
      // APM: the operand is the physical address in RAX, 4 KiB aligned (else #GP).
      const uint64_t pa = m.Reg(RAX);
      if (pa & 0xfff || pa < Machine::kDataBase || pa >= Machine::kDataBase + Machine::kDataSize) {
        m.Fail(std::string(InsnName(insn.kind)) + " of a bad address " + Hex(pa));
        return false;
      }
      if (insn.kind == Insn::kVmload) {
        loaded_kernel_gs_base = m.Load64(pa + kVmcbKernelGsBase);
      } else {
        m.Store64(pa + kVmcbKernelGsBase, loaded_kernel_gs_base);
      }
      break;
    }
    case Insn::kVmrun:
      return Vmrun(m, rip);
    default:
      m.Fail(std::string("not an SVM instruction: ") + InsnName(insn.kind));
      return false;
  }
  m.SetRip(rip + insn.length);
  return true;
}

bool SvmModel::Vmrun(Machine& m, uint64_t rip) {
  if (gif) {
    m.Fail("VMRUN with GIF=1 (no CLGI before it)");
    return false;
  }
  // IF = 1 is legal here (GIF = 0 keeps the host uninterruptible); it is recorded because it
  // decides whether the guest can be preempted (checked by the tests against each contract).
  host_if_at_vmrun = (m.Rflags() & kRflagsIf) != 0;
  if (m.Reg(RAX) != vmcb_pa) {
    m.Fail("VMRUN operand " + Hex(m.Reg(RAX)) + " is not the guest VMCB " + Hex(vmcb_pa));
    return false;
  }
  CaptureGprs(m, &at_entry);
  const uint64_t np = m.Load64(vmcb_pa + kVmcbNpEnable);
  sev_es_entry = (np & 4) != 0;
  if (sev_es_entry && ((np & 2) == 0 || m.Load64(vmcb_pa + kVmcbVmsaPa) != vmsa_pa)) {
    m.Fail("SEV-ES VMRUN without SEV enabled or with a VMSA pointer that is not the guest's");
    return false;
  }
  if (!sev_es_entry && loaded_kernel_gs_base != m.Load64(vmcb_pa + kVmcbKernelGsBase)) {
    m.Fail("VMRUN with the host's VMLOAD state live (no VMLOAD of the guest VMCB)");
    return false;
  }
  // Type-A host state: saved by VMRUN in the hardware-private part of the HSAVE page.
  const uint64_t host_rax = m.Reg(RAX);
  const uint64_t host_rsp = m.Reg(RSP);
  const uint64_t host_rflags = m.Rflags();

  GuestRuns(m);
  guest_kernel_gs_base = Random();
  // With host IF = 1 the paravisor's tick may arrive while the guest runs: #VMEXIT(INTR), the
  // interrupt left pending (GIF = 0 after #VMEXIT holds it off the host; AtBoundary fails the
  // run wherever the rest of the switch would let it in).
  if (host_if_at_vmrun && (Random() & 1)) exit_code = 0x60;  // VMEXIT_INTR
  m.Store64(vmcb_pa + kVmcbExitCode, exit_code);

  if (sev_es_entry) {
    // The guest's registers go to its (encrypted) VMSA; every host GPR but RAX/RSP comes back
    // from the host save area (type B), as do the VMSAVE state and XCR0/PKRU/XSS.
    for (int r = 0; r < kGprCount; ++r) {
      const uint64_t slot = r == RAX ? 0x1f8 : r == RSP ? 0x1d8 : kSaveGprs + 8ull * r;
      m.Store64(vmsa_pa + slot, guest[r]);
    }
    const uint64_t hsa = hsave_pa + kHostSaveArea;
    for (int r = 0; r < kGprCount; ++r) {
      if (r != RAX && r != RSP) m.SetReg(r, m.Load64(hsa + kSaveGprs + 8ull * r));
    }
    loaded_kernel_gs_base = m.Load64(hsave_pa + kVmcbKernelGsBase);
    xcr0 = m.Load64(hsa + kSaveXcr0);
    xss = m.Load64(hsa + kSaveXss);
    pkru = m.Load64(hsa + kSavePkru) & 0xffffffffu;
  } else {
    // Legacy: RAX/RSP go to the VMCB, every other GPR keeps the guest's value.
    m.Store64(vmcb_pa + kVmcbRax, guest[RAX]);
    m.Store64(vmcb_pa + kVmcbRsp, guest[RSP]);
    for (int r = 0; r < kGprCount; ++r) {
      if (r != RAX && r != RSP) m.SetReg(r, guest[r]);
    }
    loaded_kernel_gs_base = guest_kernel_gs_base;  // VMRUN does not switch it back
  }
  m.SetReg(RAX, host_rax);
  m.SetReg(RSP, host_rsp);
  m.SetRflags(host_rflags);
  // #VMEXIT leaves GIF = 0.
  m.SetRip(rip + 3);
  return true;
}

// ---- VMX -------------------------------------------------------------------------------------

void VmxModel::Succeed(Machine& m) {
  m.SetRflags(m.Rflags() & ~kVmStatusFlags);
}
void VmxModel::FailValid(Machine& m, uint64_t error) {
  vmcs[kVmInstructionError] = error;
  m.SetRflags((m.Rflags() & ~kVmStatusFlags) | kRflagsZf);
}
void VmxModel::FailInvalid(Machine& m) {
  m.SetRflags((m.Rflags() & ~kVmStatusFlags) | kRflagsCf);
}

bool VmxModel::ExecuteVendor(Machine& m, const Decoded& insn, uint64_t rip) {
  switch (insn.kind) {
    case Insn::kVmwrite:
    case Insn::kVmread: {
      if (insn.rm < 0) {
        m.Fail("the model implements VMREAD/VMWRITE register forms only");
        return false;
      }
      if (!current_vmcs) {
        FailInvalid(m);
      } else if (insn.kind == Insn::kVmwrite) {
        vmcs[static_cast<uint32_t>(m.Reg(insn.reg))] = m.Reg(insn.rm);
        ++vmwrites;
        Succeed(m);
      } else {
        m.SetReg(insn.rm, vmcs[static_cast<uint32_t>(m.Reg(insn.reg))]);
        Succeed(m);
      }
      m.SetRip(rip + insn.length);
      return true;
    }
    case Insn::kVmlaunch:
    case Insn::kVmresume: {
      const bool resume = insn.kind == Insn::kVmresume;
      if (m.Rflags() & kRflagsIf) {
        m.Fail("VM entry with IF=1");
        return false;
      }
      // A failing entry attempt still marks where "before the entry" ends.
      entry_index = static_cast<long>(m.trace().size()) - 1;
      if (!current_vmcs) {
        FailInvalid(m);
        m.SetRip(rip + insn.length);
        return true;
      }
      if (resume != launched) {
        FailValid(m, resume ? 5 : 4);  // SDM 31.4: 5 VMRESUME non-launched, 4 VMLAUNCH launched
        m.SetRip(rip + insn.length);
        return true;
      }
      CaptureGprs(m, &at_entry);
      GuestRuns(m);
      launched = true;
      // VM exit: GPRs as the guest left them, RSP/RIP from the host-state area, RFLAGS = 2.
      for (int r = 0; r < kGprCount; ++r) {
        if (r != RSP) m.SetReg(r, guest[r]);
      }
      m.SetReg(RSP, vmcs[kHostRsp]);
      m.SetRflags(0x2);
      m.SetRip(vmcs[kHostRip]);
      return true;
    }
    default:
      m.Fail(std::string("not a VMX instruction: ") + InsnName(insn.kind));
      return false;
  }
}

// ---- TDX -------------------------------------------------------------------------------------

bool TdxModel::ExecuteVendor(Machine& m, const Decoded& insn, uint64_t rip) {
  if (insn.kind != Insn::kTdcall) {
    m.Fail(std::string("not a TDX instruction: ") + InsnName(insn.kind));
    return false;
  }
  if (m.Reg(RAX) != 25) {
    m.Fail("TDCALL leaf " + Hex(m.Reg(RAX)) + " where TDG.VP.ENTER (25) was expected");
    return false;
  }
  if (m.Rflags() & kRflagsIf) {
    m.Fail("TDG.VP.ENTER with IF=1");
    return false;
  }
  vm_flags = m.Reg(RCX);
  const uint64_t vm_index = (vm_flags >> 52) & 3;
  if ((vm_flags & ~((3ull << 52) | 3ull)) != 0 || vm_index == 0) {
    m.Fail("TDG.VP.ENTER RCX " + Hex(vm_flags) + ": reserved bits set or VM index 0");
    return false;
  }
  const uint64_t gpa = m.Reg(RDX);
  if (gpa % 256 != 0 || gpa != l2_state_gpa) {
    m.Fail("TDG.VP.ENTER RDX " + Hex(gpa) + " is not the 256-byte aligned L2 state buffer");
    return false;
  }
  CaptureGprs(m, &at_entry);
  m.Read(gpa, l2_in, sizeof(l2_in));
  GuestRuns(m);
  // The L2 exit: the module writes the L2 state back (GPRs, RFLAGS, RIP, SSP, interrupt
  // status; the reserved tail stays as it was) ...
  for (int i = 0; i < 0x9a; ++i) l2_out[i] = static_cast<uint8_t>(Random());
  for (int i = 0x9a; i < kL2StateBytes; ++i) l2_out[i] = l2_in[i];
  m.Write(gpa, l2_out, sizeof(l2_out));
  // ... and resumes L1 after the TDCALL with the exit outputs. Nothing else of L1's GPRs is
  // preserved: RBP and the registers that carry no output hold whatever the module left.
  for (uint64_t& o : outputs) o = Random();
  outputs[RAX] = Random() & 0xffff;  // TDX_SUCCESS | VMX basic exit reason
  if (cpuid_exit) {
    outputs[RAX] = 10;
    outputs[R11] = (outputs[R11] & 0xffffffffu) | (uint64_t{2} << 32);  // instruction length
  }
  outputs[RBX] = 0;
  outputs[R14] = 0;
  outputs[R15] = 0;
  outputs[RSP] = m.Reg(RSP);
  for (int r = 0; r < kGprCount; ++r) m.SetReg(r, outputs[r]);
  guest = outputs;  // every output is derived from L2's behaviour
  m.SetRip(rip + insn.length);
  return true;
}

}  // namespace hwmodel
