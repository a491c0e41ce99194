// The VMCB (AMD APM vol. 2, appendix B): a 4 KiB page, control area at 0x000, state-save area at
// 0x400. Only the fields the paravisor uses are named; the rest is reserved padding. Every named
// offset is checked with a static_assert against the APM, so a typo cannot silently shift one.
#ifndef PV_SVM_VMCB_H_
#define PV_SVM_VMCB_H_

#include <stddef.h>

#include "lib/types.h"

namespace pv::svm {

struct VmcbSegment {
  u16 selector;
  u16 attrib;  // the descriptor's attribute bits compressed: type/S/DPL/P, then AVL/L/DB/G
  u32 limit;
  u64 base;
};
static_assert(sizeof(VmcbSegment) == 16);

struct VmcbControl {
  u32 intercept_cr;          // 0x000: reads [15:0], writes [31:16]
  u32 intercept_dr;          // 0x004
  u32 intercept_exceptions;  // 0x008: bit n = vector n
  u32 intercept_misc1;       // 0x00c
  u32 intercept_misc2;       // 0x010
  u32 intercept_misc3;       // 0x014
  u8 reserved_018[0x03c - 0x018];
  u16 pause_filter_threshold;  // 0x03c
  u16 pause_filter_count;      // 0x03e
  u64 iopm_base_pa;            // 0x040
  u64 msrpm_base_pa;           // 0x048
  u64 tsc_offset;              // 0x050
  u32 guest_asid;              // 0x058
  u8 tlb_control;              // 0x05c
  u8 reserved_05d[3];
  u64 vintr;             // 0x060: bit 24 V_INTR_MASKING
  u64 interrupt_shadow;  // 0x068
  u64 exit_code;         // 0x070
  u64 exit_info1;        // 0x078
  u64 exit_info2;        // 0x080
  u64 exit_int_info;     // 0x088
  u64 np_enable;         // 0x090: bit 0 nested paging, bit 1 SEV, bit 2 SEV-ES
  u64 avic_apic_bar;     // 0x098
  u64 ghcb_pa;           // 0x0a0
  u64 event_inject;      // 0x0a8
  u64 n_cr3;             // 0x0b0
  u64 virt_ext;          // 0x0b8: LBR virtualisation, VMLOAD/VMSAVE virtualisation
  u32 clean_bits;        // 0x0c0
  u32 reserved_0c4;
  u64 next_rip;       // 0x0c8: valid only with NRIP save
  u8 insn_len;        // 0x0d0: decode assists
  u8 insn_bytes[15];  // 0x0d1
  u8 reserved_0e0[0x108 - 0x0e0];
  u64 vmsa_pa;  // 0x108: SEV-ES: the guest's VMSA page (svm/sev_es_save_area.h)
  u8 reserved_110[0x400 - 0x110];
};
static_assert(sizeof(VmcbControl) == 0x400);
static_assert(offsetof(VmcbControl, intercept_exceptions) == 0x008);
static_assert(offsetof(VmcbControl, intercept_misc1) == 0x00c);
static_assert(offsetof(VmcbControl, intercept_misc2) == 0x010);
static_assert(offsetof(VmcbControl, iopm_base_pa) == 0x040);
static_assert(offsetof(VmcbControl, msrpm_base_pa) == 0x048);
static_assert(offsetof(VmcbControl, guest_asid) == 0x058);
static_assert(offsetof(VmcbControl, tlb_control) == 0x05c);
static_assert(offsetof(VmcbControl, vintr) == 0x060);
static_assert(offsetof(VmcbControl, exit_code) == 0x070);
static_assert(offsetof(VmcbControl, exit_info1) == 0x078);
static_assert(offsetof(VmcbControl, exit_info2) == 0x080);
static_assert(offsetof(VmcbControl, exit_int_info) == 0x088);
static_assert(offsetof(VmcbControl, np_enable) == 0x090);
static_assert(offsetof(VmcbControl, event_inject) == 0x0a8);
static_assert(offsetof(VmcbControl, n_cr3) == 0x0b0);
static_assert(offsetof(VmcbControl, clean_bits) == 0x0c0);
static_assert(offsetof(VmcbControl, next_rip) == 0x0c8);
static_assert(offsetof(VmcbControl, insn_len) == 0x0d0);
static_assert(offsetof(VmcbControl, vmsa_pa) == 0x108);

struct VmcbSave {
  VmcbSegment es, cs, ss, ds, fs, gs;  // 0x400..0x45f
  VmcbSegment gdtr, ldtr, idtr, tr;    // 0x460..0x49f
  u8 reserved_4a0[0x4cb - 0x4a0];
  u8 cpl;  // 0x4cb
  u32 reserved_4cc;
  u64 efer;  // 0x4d0
  u8 reserved_4d8[0x548 - 0x4d8];
  u64 cr4;     // 0x548
  u64 cr3;     // 0x550
  u64 cr0;     // 0x558
  u64 dr7;     // 0x560
  u64 dr6;     // 0x568
  u64 rflags;  // 0x570
  u64 rip;     // 0x578
  u8 reserved_580[0x5d8 - 0x580];
  u64 rsp;                                      // 0x5d8
  u64 s_cet, ssp, isst_addr;                    // 0x5e0..0x5f7
  u64 rax;                                      // 0x5f8
  u64 star, lstar, cstar, sfmask;               // 0x600..0x61f
  u64 kernel_gs_base;                           // 0x620
  u64 sysenter_cs, sysenter_esp, sysenter_eip;  // 0x628..0x63f
  u64 cr2;                                      // 0x640
  u8 reserved_648[0x668 - 0x648];
  u64 g_pat;   // 0x668
  u64 dbgctl;  // 0x670
  u8 reserved_678[0x1000 - 0x678];
};
static_assert(offsetof(VmcbSave, gdtr) == 0x460 - 0x400);
static_assert(offsetof(VmcbSave, tr) == 0x490 - 0x400);
static_assert(offsetof(VmcbSave, cpl) == 0x4cb - 0x400);
static_assert(offsetof(VmcbSave, efer) == 0x4d0 - 0x400);
static_assert(offsetof(VmcbSave, cr4) == 0x548 - 0x400);
static_assert(offsetof(VmcbSave, rflags) == 0x570 - 0x400);
static_assert(offsetof(VmcbSave, rip) == 0x578 - 0x400);
static_assert(offsetof(VmcbSave, rsp) == 0x5d8 - 0x400);
static_assert(offsetof(VmcbSave, rax) == 0x5f8 - 0x400);
static_assert(offsetof(VmcbSave, kernel_gs_base) == 0x620 - 0x400);
static_assert(offsetof(VmcbSave, cr2) == 0x640 - 0x400);
static_assert(offsetof(VmcbSave, g_pat) == 0x668 - 0x400);

struct Vmcb {
  VmcbControl control;
  VmcbSave save;
};
static_assert(sizeof(Vmcb) == 0x1000, "a VMCB is exactly one page");
static_assert(offsetof(Vmcb, save) == 0x400);

// Intercept bits (APM vol. 2, table B-1).
namespace intercept {
constexpr u32 kIntr = 1u << 0;   // misc1: physical interrupt while the guest runs
constexpr u32 kVintr = 1u << 4;  // misc1: the guest can take the virtual interrupt (V_IRQ)
constexpr u32 kRdtsc = 1u << 14;
constexpr u32 kCpuid = 1u << 18;
constexpr u32 kInvd = 1u << 22;
constexpr u32 kHlt = 1u << 24;
constexpr u32 kInvlpga = 1u << 26;
constexpr u32 kIoio = 1u << 27;
constexpr u32 kMsr = 1u << 28;
constexpr u32 kShutdown = 1u << 31;
constexpr u32 kVmrun = 1u << 0;  // misc2 (VMRUN's intercept is mandatory)
constexpr u32 kVmmcall = 1u << 1;
constexpr u32 kVmload = 1u << 2;
constexpr u32 kVmsave = 1u << 3;
constexpr u32 kStgi = 1u << 4;
constexpr u32 kClgi = 1u << 5;
constexpr u32 kSkinit = 1u << 6;
constexpr u32 kRdtscp = 1u << 7;
constexpr u32 kWbinvd = 1u << 9;
constexpr u32 kMonitor = 1u << 10;
constexpr u32 kMwait = 1u << 11;
constexpr u32 kMwaitConditional = 1u << 12;
constexpr u32 kXsetbv = 1u << 13;
}  // namespace intercept

// EXITCODE values (APM vol. 2, appendix C).
namespace exit_code {
constexpr u64 kExceptionBase = 0x40;
constexpr u64 kGeneralProtection = kExceptionBase + 13;
constexpr u64 kIntr = 0x60;
constexpr u64 kVintr = 0x64;
constexpr u64 kRdtsc = 0x6e;
constexpr u64 kInvlpga = 0x7a;
constexpr u64 kInvd = 0x76;
constexpr u64 kCpuid = 0x72;
constexpr u64 kHlt = 0x78;
constexpr u64 kIoio = 0x7b;
constexpr u64 kMsr = 0x7c;
constexpr u64 kShutdown = 0x7f;
constexpr u64 kVmrun = 0x80;
constexpr u64 kVmmcall = 0x81;
constexpr u64 kVmload = 0x82;
constexpr u64 kVmsave = 0x83;
constexpr u64 kStgi = 0x84;
constexpr u64 kClgi = 0x85;
constexpr u64 kSkinit = 0x86;
constexpr u64 kMonitor = 0x8a;
constexpr u64 kMwait = 0x8b;
constexpr u64 kMwaitConditional = 0x8c;
constexpr u64 kXsetbv = 0x8d;
constexpr u64 kNpf = 0x400;
// VMEXIT_INVALID is -1; QEMU writes only the low 32 bits, so compare those.
constexpr u32 kInvalidLow32 = 0xffffffffu;
}  // namespace exit_code

}  // namespace pv::svm

#endif  // PV_SVM_VMCB_H_
