// Multiboot (v1) information as handed over by QEMU's -kernel loader, GRUB or the Bochs disk
// loader. Only the parts the paravisor uses are described. The structure comes from the loader,
// which the paravisor trusts (it is part of the boot chain), but every pointer and length is
// still range-checked before use so a malformed one yields a clear error rather than a fault.
#ifndef PV_BOOT_MULTIBOOT_H_
#define PV_BOOT_MULTIBOOT_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::boot {

constexpr u32 kMultibootBootloaderMagic = 0x2badb002;
constexpr usize kMaxModules = 8;
constexpr usize kMaxMemoryRanges = 32;

struct Module {
  u64 start;            // physical address of the image
  u64 end;              // one past the last byte
  const char* cmdline;  // the module's string (may be empty, never null)
};

struct MemoryRange {
  u64 base;
  u64 length;
};

struct BootInfo {
  const char* cmdline = "";  // never null
  Module modules[kMaxModules];
  usize module_count = 0;
  MemoryRange ram[kMaxMemoryRanges];  // usable RAM only
  usize ram_count = 0;
  u64 info_start = 0, info_end = 0;  // the multiboot structure itself (to keep it reserved)
};

Result<BootInfo> ParseMultiboot(u32 magic, u64 info_pa);

}  // namespace pv::boot

#endif  // PV_BOOT_MULTIBOOT_H_
