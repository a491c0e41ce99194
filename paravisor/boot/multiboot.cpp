#include "boot/multiboot.h"

#include "lib/log.h"

namespace pv::boot {
namespace {

struct RawInfo {
  u32 flags;
  u32 mem_lower, mem_upper;
  u32 boot_device;
  u32 cmdline;
  u32 mods_count, mods_addr;
  u32 syms[4];
  u32 mmap_length, mmap_addr;
} __attribute__((packed));

struct RawModule {
  u32 mod_start, mod_end, string, reserved;
};

struct RawMmapEntry {
  u32 size;
  u64 base_addr;
  u64 length;
  u32 type;
} __attribute__((packed));

constexpr u32 kFlagMem = 1u << 0;
constexpr u32 kFlagCmdline = 1u << 2;
constexpr u32 kFlagMods = 1u << 3;
constexpr u32 kFlagMmap = 1u << 6;
constexpr u32 kMmapAvailable = 1;
constexpr u64 kIdentityMapped = 4ull << 30;  // what the boot page tables cover

bool Mapped(u64 pa, u64 len) {
  return pa != 0 && pa < kIdentityMapped && len <= kIdentityMapped - pa;
}

const char* SafeString(u32 pa) {
  if (!Mapped(pa, 1)) return "";
  return reinterpret_cast<const char*>(static_cast<u64>(pa));
}

}  // namespace

Result<BootInfo> ParseMultiboot(u32 magic, u64 info_pa) {
  if (magic != kMultibootBootloaderMagic) {
    return Status(Err::kInvalidArgument, "multiboot: wrong bootloader magic in EAX");
  }
  if (!Mapped(info_pa, sizeof(RawInfo))) {
    return Status(Err::kOutOfRange, "multiboot: info structure address not mapped");
  }
  const auto* raw = reinterpret_cast<const RawInfo*>(info_pa);
  BootInfo info;
  info.info_start = info_pa;
  info.info_end = info_pa + sizeof(RawInfo);

  if (raw->flags & kFlagCmdline) info.cmdline = SafeString(raw->cmdline);

  if (raw->flags & kFlagMods) {
    if (raw->mods_count > kMaxModules) {
      return Status(Err::kOutOfRange, "multiboot: more modules (guest images) than supported (8)");
    }
    if (raw->mods_count > 0 && !Mapped(raw->mods_addr, raw->mods_count * sizeof(RawModule))) {
      return Status(Err::kOutOfRange, "multiboot: module list address not mapped");
    }
    const auto* mods = reinterpret_cast<const RawModule*>(static_cast<u64>(raw->mods_addr));
    for (u32 i = 0; i < raw->mods_count; ++i) {
      if (mods[i].mod_end < mods[i].mod_start ||
          !Mapped(mods[i].mod_start, mods[i].mod_end - mods[i].mod_start)) {
        return Status(Err::kOutOfRange, "multiboot: a module's start/end range is invalid");
      }
      info.modules[info.module_count++] = {mods[i].mod_start, mods[i].mod_end,
                                           SafeString(mods[i].string)};
    }
  }

  if (raw->flags & kFlagMmap) {
    if (!Mapped(raw->mmap_addr, raw->mmap_length)) {
      return Status(Err::kOutOfRange, "multiboot: memory map address not mapped");
    }
    u64 p = raw->mmap_addr;
    const u64 end = p + raw->mmap_length;
    // Each entry is prefixed by its own size (which excludes the size field); bounded by `end`.
    while (p + sizeof(RawMmapEntry) <= end && info.ram_count < kMaxMemoryRanges) {
      const auto* e = reinterpret_cast<const RawMmapEntry*>(p);
      if (e->size < sizeof(RawMmapEntry) - 4) {
        return Status(Err::kInvalidArgument, "multiboot: memory map entry smaller than its fields");
      }
      if (e->type == kMmapAvailable && e->length > 0)
        info.ram[info.ram_count++] = {e->base_addr, e->length};
      p += e->size + 4;
    }
  } else if (raw->flags & kFlagMem) {
    info.ram[info.ram_count++] = {1ull << 20, static_cast<u64>(raw->mem_upper) << 10};
  }
  if (info.ram_count == 0) return Status(Err::kNotFound, "multiboot: no usable RAM reported");
  return info;
}

}  // namespace pv::boot
