// Intercepted RDMSR/WRMSR against the allow-list in exits/msr_policy.h.
#include "arch/host_cpu.h"
#include "arch/registers.h"
#include "exits/handle_apic.h"
#include "exits/handlers.h"
#include "exits/msr_policy.h"
#include "lib/log.h"

namespace pv {
namespace {

using arch::kEferLma;
using arch::kEferLme;
using arch::kEferNxe;
using arch::kEferSce;
using arch::kEferSvme;
using arch::kMsrApicBase;
using arch::kMsrEfer;
using arch::kMsrPat;
using arch::kMsrTsc;

// The guest may toggle SYSCALL and NX; long mode stays as the paravisor set it up, and SVME is
// the paravisor's (hardware requires it set in the guest EFER, the guest never sees it).
constexpr u64 kEferGuestWritable = kEferSce | kEferNxe;
// xAPIC base with the BSP flag, global enable clear: the paravisor provides no local APIC yet.
constexpr u64 kApicBaseValue = 0xfee00000ull | (1ull << 8);

// MTRRs (CPUID.1:EDX[12]): no variable or fixed ranges, no write-combining (MTRRcap = 0); the
// default type register holds what the guest writes. Guest memory types come from the nested
// tables and PAT, so the value has no effect beyond being read back, as under KVM.
constexpr u32 kMsrMtrrCap = 0xfe;
constexpr u32 kMsrMtrrDefType = 0x2ff;
constexpr u64 kMtrrDefTypeWritable = 0xff | (1ull << 11);  // type, E (FE needs fixed ranges)
// Machine check (CPUID.1:EDX[7] MCE, [14] MCA): no banks, no MCG_CTL; MCG_STATUS reads 0 and
// accepts 0 (Linux clears it after its bank scan).
constexpr u32 kMsrMcgCap = 0x179;
constexpr u32 kMsrMcgStatus = 0x17a;

bool ValidMemoryType(u64 type) {
  return type == 0 || type == 1 || type == 4 || type == 5 || type == 6;
}

bool ValidPat(u64 pat) {
  for (int i = 0; i < 8; ++i) {
    const u64 type = (pat >> (i * 8)) & 0xff;
    if (type == 2 || type == 3 || type > 7) return false;  // reserved memory types
  }
  return true;
}

ExitAction InjectGp(Vcpu& vcpu) {
  vcpu.InjectException(kVectorGp, true, 0);
  return ExitAction::kResumeSame;
}

// An MSR outside the allow-list: #GP, as for an MSR the CPU lacks; the first few are logged so
// an operator sees what a guest kernel probed (Linux reads several AMD/Intel model MSRs).
constexpr u64 kRefusalReportLimit = 8;
ExitAction Refuse(Vcpu& vcpu, u32 msr, bool write) {
  if (++vcpu.stats.refused_msrs <= kRefusalReportLimit) {
    Log("msr: guest %u %s of MSR 0x%x refused (#GP): not in the allow-list%s", vcpu.guest_index,
        write ? "write" : "read", msr,
        vcpu.stats.refused_msrs == kRefusalReportLimit ? " (further refusals not reported)" : "");
  }
  return InjectGp(vcpu);
}

}  // namespace

ExitAction HandleMsrRead(Vcpu& vcpu, const Exit& exit) {
  u64 value = 0;
  const ApicMsrResult apic = ApicMsrRead(vcpu, exit.msr, &value);
  if (apic == ApicMsrResult::kFault) return InjectGp(vcpu);
  if (apic == ApicMsrResult::kDone) {
    vcpu.set_gpr(kRax, value & 0xffffffffull);
    vcpu.set_gpr(kRdx, value >> 32);
    return ExitAction::kResumeNext;
  }
  switch (exit.msr) {
    case kMsrTsc:
      value = arch::HostTsc();
      break;
    case kMsrApicBase:
      value = kApicBaseValue;
      break;
    case kMsrPat:
      value = vcpu.pat();
      break;
    case kMsrEfer:
      value = vcpu.efer() & ~kEferSvme;
      break;
    case kMsrMtrrCap:
    case kMsrMcgCap:
    case kMsrMcgStatus:
      value = 0;
      break;
    case kMsrMtrrDefType:
      value = vcpu.mtrr_def_type;
      break;
    case kSpecCtrlMsr:
      value = vcpu.run.guest_spec_ctrl;
      break;
    default:
      return Refuse(vcpu, exit.msr, false);
  }
  vcpu.set_gpr(kRax, value & 0xffffffffull);
  vcpu.set_gpr(kRdx, value >> 32);
  return ExitAction::kResumeNext;
}

ExitAction HandleMsrWrite(Vcpu& vcpu, const Exit& exit) {
  const u64 value = (vcpu.gpr(kRdx) << 32) | (vcpu.gpr(kRax) & 0xffffffffull);
  const ApicMsrResult apic = ApicMsrWrite(vcpu, exit.msr, value);
  if (apic == ApicMsrResult::kFault) return InjectGp(vcpu);
  if (apic == ApicMsrResult::kDone) return ExitAction::kResumeNext;
  switch (exit.msr) {
    case kMsrPat:
      if (!ValidPat(value)) return InjectGp(vcpu);
      vcpu.set_pat(value);
      break;
    case kMsrEfer: {
      const u64 current = vcpu.efer() & ~kEferSvme;
      if (((value ^ current) & ~kEferGuestWritable) != 0) return InjectGp(vcpu);
      vcpu.set_efer((value & (kEferGuestWritable | kEferLme | kEferLma)) | kEferSvme);
      break;
    }
    case kMsrMtrrDefType:
      if ((value & ~kMtrrDefTypeWritable) != 0 || !ValidMemoryType(value & 0xff))
        return InjectGp(vcpu);
      vcpu.mtrr_def_type = value;
      break;
    case kMsrMcgStatus:
      if (value != 0) return InjectGp(vcpu);
      break;
    case kSpecCtrlMsr:
      // Reached only while writes are intercepted. The value is kept here and loaded into the
      // MSR by the entry code just before the guest runs. The stand-in (TSC_AUX) and the real
      // SPEC_CTRL both have reserved upper halves.
      if ((value >> 32) != 0) return InjectGp(vcpu);
      vcpu.run.guest_spec_ctrl = value;
      break;
    default:
      return Refuse(vcpu, exit.msr, true);
  }
  return ExitAction::kResumeNext;
}

}  // namespace pv
