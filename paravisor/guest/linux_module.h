// How a Linux guest is given to the paravisor as multiboot modules (README.md, "Linux guests"):
//
//   "<bzImage> linux initrd=<module index> [expect=...] -- <kernel command line>"
//   "<cpio>    role=initrd"
//
// The word `linux` selects the Linux boot protocol (guest/linux_boot.h) instead of the guest
// ABI's ELF/flat loader; `initrd=<N>` names another module (0-based, in multiboot order) marked
// `role=initrd`, which is data for that guest and never run as a guest itself; everything after
// " -- " is the kernel's command line, verbatim (it may contain spaces, quotes and '=' freely),
// and the paravisor's per-guest options (`expect=`, ...) are only looked for before it.
#ifndef PV_GUEST_LINUX_MODULE_H_
#define PV_GUEST_LINUX_MODULE_H_

#include "boot/multiboot.h"
#include "guest/linux_boot.h"
#include "lib/cmdline.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::linux_boot {

// A module string split at the first " -- ": the paravisor's options (a bounded, NUL-terminated
// copy for Cmdline) and the kernel's command line (a pointer into the original, "" if absent).
struct ModuleString {
  char options[Cmdline::kMaxLen + 1] = {};
  const char* kernel_cmdline = "";
};
void SplitModuleString(const char* module_string, ModuleString* out);

// True for a module that carries data for another guest (`role=initrd`).
bool IsDataModule(const Cmdline& options);

// The initrd module of the Linux guest in module `self`, or null when it has none (no
// `initrd=`). Errors name the problem: an `initrd=` that is not a number, out of range, the guest
// itself, or a module not marked `role=initrd`. (The caller maps the modules' physical
// addresses; this stays free of address translation and indirect calls.)
Result<const boot::Module*> FindInitrdModule(const boot::BootInfo& boot, usize self,
                                             const Cmdline& options);

}  // namespace pv::linux_boot

#endif  // PV_GUEST_LINUX_MODULE_H_
