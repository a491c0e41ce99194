// The SEV-ES flavour of the SVM backend: what the hardware offers (CPUID 0x8000001F), the VMCB
// of an encrypted-state guest (SEV and SEV-ES enable bits, VMSA pointer, GHCB GPA, an ASID below
// the SEV-ES limit) and one world switch through entry/svm_sev_es_run.asm with the host save
// area prepared as the contract requires. Built into the production image; on the emulators
// (which have no SEV-ES) only the hardware-model tests run the switch, and the boot log says
// the hardware is absent.
#ifndef PV_SVM_SEV_ES_H_
#define PV_SVM_SEV_ES_H_

#include "lib/status.h"
#include "lib/types.h"
#include "svm/sev_es_save_area.h"
#include "svm/vmcb.h"
#include "vcpu/run_state.h"

extern "C" void pv_svm_sev_es_run(pv::VcpuRunState* run, pv::svm::SevEsSaveArea* host_save);

namespace pv::svm {

struct SevEsCapabilities {
  bool sev = false;      // CPUID 0x8000001F EAX[1]
  bool sev_es = false;   // EAX[3]
  bool sev_snp = false;  // EAX[4]
  u32 c_bit = 0;         // EBX[5:0]: the page-table bit that marks memory encrypted
  u32 max_guests = 0;    // ECX: encrypted guests at once
  u32 min_sev_asid = 0;  // EDX: ASIDs below this one are for SEV-ES guests
};

// From the CPUID leaf's registers (portable: the tests feed it values).
SevEsCapabilities DecodeSevEsCpuid(u32 max_extended_leaf, u32 eax, u32 ebx, u32 ecx, u32 edx);
SevEsCapabilities DetectSevEs();

// VMCB control bits (APM vol. 2, table B-1, offset 0x090).
constexpr u64 kNpEnableNestedPaging = 1ull << 0;
constexpr u64 kNpEnableSev = 1ull << 1;
constexpr u64 kNpEnableSevEs = 1ull << 2;

// Makes `control` describe an SEV-ES guest: encrypted state in the page at `vmsa_pa`, the
// guest's GHCB at `ghcb_gpa` (0 until the guest registers one through the GHCB MSR protocol),
// `asid` in 1..min_sev_asid-1. Fails, changing nothing, when the hardware cannot run it.
Status ConfigureSevEsVmcb(VmcbControl& control, const SevEsCapabilities& caps, u64 vmsa_pa,
                          u64 ghcb_gpa, u32 asid);

// The host's type-B values as this CPU has them (XCR0 via XGETBV, XSS if XSAVES, PKRU if
// CR4.PKE), for svm::WriteHostTypeB before each entry.
SevEsHostTypeB ReadHostTypeB();

// One SEV-ES world switch: type-B state into the host save area (`hsave`, the VM_HSAVE_PA page
// mapped at `hsave_va`), then VMRUN through the switch. run.guest_state_pa must be the VMCB
// configured above; run.host_state_pa is set to the HSAVE page here.
void RunSevEsOnce(VcpuRunState& run, u64 hsave_pa, SevEsHostSavePage* hsave_va,
                  const SevEsHostTypeB& host);

}  // namespace pv::svm

#endif  // PV_SVM_SEV_ES_H_
