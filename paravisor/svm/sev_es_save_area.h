// The SEV-ES state-save area (AMD APM vol. 2, appendix B, table B-4: the "VMSA" layout), used
// twice by an SEV-ES world switch:
//  - the guest's VMSA page (VMCB control 0x108 points at it): hardware keeps the guest's whole
//    register state there, encrypted; the paravisor never reads or writes it after launch;
//  - the host save area: VM_HSAVE_PA + 0x400 viewed with this layout. VMRUN of an SEV-ES guest
//    saves no host GPR; #VMEXIT loads the type-B host state (RBX..R15 but RAX/RSP, XCR0, PKRU,
//    XSS, the VMSAVE state) from here, so the world switch stores what it needs back into this
//    page before VMRUN (entry/svm_sev_es_run.asm).
// Only the fields the paravisor uses are named; every named offset is pinned by a static_assert
// against the APM table, and entry/asm_offsets.cpp exports the GPR slots to NASM.
#ifndef PV_SVM_SEV_ES_SAVE_AREA_H_
#define PV_SVM_SEV_ES_SAVE_AREA_H_

#include <stddef.h>

#include "lib/types.h"
#include "vcpu/run_state.h"

namespace pv::svm {

struct SevEsSaveArea {
  u8 segments_0x000[0x140];  // ES..TR, VMPL SSPs, CPL, EFER (VMSAVE state lives here too)
  u64 xss;                   // 0x140: type B on the host side
  u8 control_regs_0x148[0x1d8 - 0x148];  // CR4, CR3, CR0, DR7, DR6, RFLAGS, RIP, DR0-3, masks
  u64 rsp;                               // 0x1d8
  u8 cet_0x1e0[0x1f8 - 0x1e0];
  u64 rax;                               // 0x1f8
  u8 syscall_msrs_0x200[0x2e8 - 0x200];  // STAR..SFMASK, KERNEL_GS_BASE, SYSENTER, CR2, PAT, LBR
  u32 pkru;                              // 0x2e8: type B on the host side
  u32 tsc_aux;                           // 0x2ec
  u8 reserved_0x2f0[0x300 - 0x2f0];
  // 0x300: the GPR block, indexed by x86 register number like VcpuRunState::gprs. The RAX and
  // RSP slots are reserved (those two live at 0x1f8/0x1d8 and are type A on the host side).
  u64 gprs[kGprCount];
  u8 reserved_0x380[0x390 - 0x380];
  u64 guest_exit_info_1;    // 0x390
  u64 guest_exit_info_2;    // 0x398
  u64 guest_exit_int_info;  // 0x3a0
  u64 guest_nrip;           // 0x3a8
  u64 sev_features;         // 0x3b0: SEV_FEATURES (bit 0 SNP active, bit 2 ReflectVC, ...)
  u64 vintr_ctrl;           // 0x3b8
  u64 guest_exit_code;      // 0x3c0
  u64 virtual_tom;          // 0x3c8
  u64 tlb_id;               // 0x3d0
  u64 pcpu_id;              // 0x3d8
  u64 event_inj;            // 0x3e0
  u64 xcr0;                 // 0x3e8: type B on the host side
  u8 reserved_0x3f0[0x400 - 0x3f0];
  u8 fpu_state_0x400[0xc00 - 0x400];  // x87/SSE/AVX state: the rest of the page is the guest's
};
static_assert(offsetof(SevEsSaveArea, xss) == 0x140);
static_assert(offsetof(SevEsSaveArea, rsp) == 0x1d8);
static_assert(offsetof(SevEsSaveArea, rax) == 0x1f8);
static_assert(offsetof(SevEsSaveArea, pkru) == 0x2e8);
static_assert(offsetof(SevEsSaveArea, gprs) == 0x300);
static_assert(offsetof(SevEsSaveArea, gprs[kRbx]) == 0x318);
static_assert(offsetof(SevEsSaveArea, gprs[kRbp]) == 0x328);
static_assert(offsetof(SevEsSaveArea, gprs[kRdi]) == 0x338);
static_assert(offsetof(SevEsSaveArea, gprs[kR15]) == 0x378);
static_assert(offsetof(SevEsSaveArea, guest_exit_code) == 0x3c0);
static_assert(offsetof(SevEsSaveArea, xcr0) == 0x3e8);
static_assert(sizeof(SevEsSaveArea) <= 0x1000 - 0x400, "must fit after 0x400 in the HSAVE page");

// The VM_HSAVE_PA page of an SEV-ES host: hardware-private state below 0x400 (where VMRUN keeps
// the type-A host state), the host save area above.
struct SevEsHostSavePage {
  u8 hardware_0x000[0x400];
  SevEsSaveArea save;
};
static_assert(offsetof(SevEsHostSavePage, save) == 0x400);
static_assert(sizeof(SevEsHostSavePage) <= 0x1000);

// The type-B host values KVM writes before every SEV-ES entry (sev_es_prepare_switch_to_guest):
// #VMEXIT loads them from the host save area, so they must be the host's own.
struct SevEsHostTypeB {
  u64 xcr0 = 0;
  u64 xss = 0;
  u32 pkru = 0;
  bool has_xss = false;   // CPUID.(EAX=0xD,ECX=1):EAX[3] XSAVES (otherwise the slot stays 0)
  bool has_pkru = false;  // CR4.PKE set (otherwise the slot stays 0)
};

// Writes the type-B values into the host save area (portable: the hardware-model tests run it).
inline void WriteHostTypeB(SevEsSaveArea& save, const SevEsHostTypeB& host) {
  save.xcr0 = host.xcr0;
  save.xss = host.has_xss ? host.xss : 0;
  save.pkru = host.has_pkru ? host.pkru : 0;
}

}  // namespace pv::svm

#endif  // PV_SVM_SEV_ES_SAVE_AREA_H_
