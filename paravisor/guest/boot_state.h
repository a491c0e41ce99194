// The state a guest starts in (documented in README.md, "Guest ABI"): 64-bit long mode at CPL 0,
// paging on with an identity map of its RAM, a flat GDT and a TSS, interrupts off, no IDT, RSP at
// the top of RAM, RDI pointing at the BootInfo structure. WriteGuestBootState puts the GDT, TSS,
// page tables, BootInfo and command line into guest memory and returns the register state for
// the backend to load into the VMCB or VMCS.
#ifndef PV_GUEST_BOOT_STATE_H_
#define PV_GUEST_BOOT_STATE_H_

#include "guest/abi.h"
#include "guest/guest_memory.h"
#include "guest/loader.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv {

struct GuestEntryState {
  u64 rip = 0, rsp = 0, rdi = 0, rsi = 0;
  u64 cr0 = 0, cr3 = 0, cr4 = 0, efer = 0, pat = 0;
  u64 gdt_base = 0;
  u16 gdt_limit = 0;
  u64 tss_base = 0;
  u32 tss_limit = 0;
  // The selectors the backends load; each protocol has its own GDT layout (the Linux boot
  // protocol wants __BOOT_CS = 0x10, __BOOT_DS = 0x18).
  u16 code_selector = abi::kGuestCodeSelector;
  u16 data_selector = abi::kGuestDataSelector;
  u16 tss_selector = abi::kGuestTssSelector;
};

Result<GuestEntryState> WriteGuestBootState(GuestMemory& memory, const LoadedImage& image,
                                            const char* cmdline);

// The pieces both boot protocols share (this file's and guest/linux_boot.h's): guest RAM's size
// checked, a GDT at abi::kGdtGpa with a 64-bit code, a data and a TSS descriptor at the given
// selectors, the TSS at abi::kTssGpa, the identity map at abi::kPageTablesGpa, and the long-mode
// control registers. RIP, RSP and the argument registers are the caller's.
Result<GuestEntryState> WriteLongModeBase(GuestMemory& memory, u16 code_selector, u16 data_selector,
                                          u16 tss_selector);

}  // namespace pv

#endif  // PV_GUEST_BOOT_STATE_H_
