// The state a guest starts in (documented in README.md, "Guest ABI"): 64-bit long mode at CPL 0,
// paging on with an identity map of its RAM, a flat GDT and a TSS, interrupts off, no IDT, RSP at
// the top of RAM, RDI pointing at the BootInfo structure. WriteGuestBootState puts the GDT, TSS,
// page tables, BootInfo and command line into guest memory and returns the register state for
// the backend to load into the VMCB or VMCS.
#ifndef PV_GUEST_BOOT_STATE_H_
#define PV_GUEST_BOOT_STATE_H_

#include "guest/guest_memory.h"
#include "guest/loader.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv {

struct GuestEntryState {
  u64 rip, rsp, rdi;
  u64 cr0, cr3, cr4, efer, pat;
  u64 gdt_base;
  u16 gdt_limit;
  u64 tss_base;
  u32 tss_limit;
};

Result<GuestEntryState> WriteGuestBootState(GuestMemory& memory, const LoadedImage& image,
                                            const char* cmdline);

}  // namespace pv

#endif  // PV_GUEST_BOOT_STATE_H_
