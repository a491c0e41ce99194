#include "guest/linux_boot.h"

#include "lib/string.h"

namespace pv::linux_boot {
namespace {

// setup_header offsets (the same in the bzImage file and in boot_params).
constexpr u64 kSetupSectsOff = 0x1f1;
constexpr u64 kBootFlagOff = 0x1fe;
constexpr u64 kJumpLenOff = 0x201;  // byte 2 of the short jump: the header ends at 0x202 + it
constexpr u64 kHeaderMagicOff = 0x202;
constexpr u64 kVersionOff = 0x206;
constexpr u64 kTypeOfLoaderOff = 0x210;
constexpr u64 kLoadflagsOff = 0x211;
constexpr u64 kCode32StartOff = 0x214;
constexpr u64 kRamdiskImageOff = 0x218;
constexpr u64 kRamdiskSizeOff = 0x21c;
constexpr u64 kCmdLinePtrOff = 0x228;
constexpr u64 kInitrdAddrMaxOff = 0x22c;
constexpr u64 kKernelAlignmentOff = 0x230;
constexpr u64 kRelocatableOff = 0x234;
constexpr u64 kXloadflagsOff = 0x236;
constexpr u64 kCmdlineSizeOff = 0x238;
constexpr u64 kPrefAddressOff = 0x258;
constexpr u64 kInitSizeOff = 0x260;
constexpr u64 kHeaderMinEnd = 0x264;  // through init_size: everything this loader reads
constexpr u64 kHeaderMaxEnd = 0x290;  // boot_params' e820 area etc. follow; never copy past it

// boot_params fields outside the setup header.
constexpr u64 kExtRamdiskImageOff = 0x0c0;
constexpr u64 kExtRamdiskSizeOff = 0x0c4;
constexpr u64 kExtCmdLinePtrOff = 0x0c8;
constexpr u64 kE820EntriesOff = 0x1e8;
constexpr u64 kE820TableOff = 0x2d0;
constexpr u64 kBootParamsSize = 0x1000;

constexpr u16 kBootFlag = 0xaa55;
constexpr u32 kHeaderMagic = 0x53726448;  // "HdrS"
constexpr u8 kLoadedHigh = 0x01;          // loadflags: protected-mode code at 0x100000 or above
constexpr u16 kXlfKernel64 = 0x01;        // xloadflags: a 64-bit entry point at +0x200
constexpr u8 kTypeOfLoaderUndefined = 0xff;
constexpr u32 kE820Ram = 1, kE820Reserved = 2;

template <typename T>
T Get(const u8* p, u64 off) {
  T v;
  memcpy(&v, p + off, sizeof(T));
  return v;
}

template <typename T>
void Put(u8* p, u64 off, T v) {
  memcpy(p + off, &v, sizeof(T));
}

bool PowerOfTwo(u64 v) {
  return v != 0 && (v & (v - 1)) == 0;
}

// Where the kernel goes: its preferred address if that fits and is aligned, otherwise (only if
// it is relocatable) the first aligned address at or above 1 MiB. 0 if nothing fits `limit`.
u64 ChooseLoadAddress(const BzImageHeader& h, u64 footprint, u64 limit) {
  auto fits = [&](u64 at) { return at >= kHighRamStart && at <= limit && footprint <= limit - at; };
  if (IsAligned(h.pref_address, h.kernel_alignment) && fits(h.pref_address)) return h.pref_address;
  if (!h.relocatable) return 0;
  const u64 at = AlignUp(kHighRamStart, h.kernel_alignment);
  return fits(at) ? at : 0;
}

}  // namespace

Result<BzImageHeader> ParseBzImageHeader(const u8* image, u64 image_size) {
  if (image == nullptr || image_size < kHeaderMinEnd) {
    return Status(Err::kInvalidArgument, "linux: not a bzImage (shorter than a setup header)");
  }
  if (Get<u16>(image, kBootFlagOff) != kBootFlag ||
      Get<u32>(image, kHeaderMagicOff) != kHeaderMagic) {
    return Status(Err::kInvalidArgument, "linux: not a bzImage (no 0xAA55 boot flag / \"HdrS\")");
  }
  BzImageHeader h;
  h.version = Get<u16>(image, kVersionOff);
  if (h.version < kMinProtocol) {
    return Status(Err::kUnsupported,
                  "linux: boot protocol older than 2.12 (no 64-bit entry point / xloadflags)");
  }
  h.setup_sects = image[kSetupSectsOff];
  h.loadflags = image[kLoadflagsOff];
  h.xloadflags = Get<u16>(image, kXloadflagsOff);
  h.relocatable = image[kRelocatableOff] != 0;
  h.kernel_alignment = Get<u32>(image, kKernelAlignmentOff);
  h.pref_address = Get<u64>(image, kPrefAddressOff);
  h.init_size = Get<u32>(image, kInitSizeOff);
  h.initrd_addr_max = Get<u32>(image, kInitrdAddrMaxOff);
  h.cmdline_size = Get<u32>(image, kCmdlineSizeOff);
  h.header_end = kHeaderMagicOff + image[kJumpLenOff];
  if (h.header_end < kHeaderMinEnd || h.header_end > kHeaderMaxEnd) {
    return Status(Err::kInvalidArgument, "linux: setup header length out of range");
  }
  if ((h.xloadflags & kXlfKernel64) == 0) {
    return Status(Err::kUnsupported, "linux: kernel has no 64-bit entry point (XLF_KERNEL_64)");
  }
  if ((h.loadflags & kLoadedHigh) == 0) {
    return Status(Err::kUnsupported, "linux: kernel is not loadable high (zImage, LOADED_HIGH)");
  }
  if (!PowerOfTwo(h.kernel_alignment) || h.kernel_alignment < kPageSize ||
      h.kernel_alignment > (1u << 30)) {
    return Status(Err::kInvalidArgument, "linux: kernel_alignment is not a power of two >= 4 KiB");
  }
  if (h.init_size == 0) return Status(Err::kInvalidArgument, "linux: init_size is 0");
  const u64 sects = h.setup_sects == 0 ? 4 : h.setup_sects;
  h.setup_size = (sects + 1) * 512;
  if (h.setup_size < h.header_end || h.setup_size >= image_size) {
    return Status(Err::kInvalidArgument,
                  "linux: setup_sects leaves no protected-mode kernel in the image");
  }
  h.kernel_size = image_size - h.setup_size;
  if (h.kernel_size <= kEntry64Offset) {
    return Status(Err::kInvalidArgument, "linux: protected-mode kernel ends before its entry");
  }
  return h;
}

Result<GuestEntryState> WriteLinuxBootState(GuestMemory& memory, const LinuxBootInputs& in,
                                            LinuxBootLayout* layout) {
  PV_TRY_ASSIGN(const BzImageHeader h, ParseBzImageHeader(in.image, in.image_size));
  const u64 ram = memory.size();
  if (ram <= kHighRamStart) return Status(Err::kOutOfRange, "linux: guest RAM ends below 1 MiB");

  // Every check before the first write: a rejected kernel leaves guest memory untouched.
  usize cmdline_len = 0;
  while (in.cmdline[cmdline_len] != '\0') {
    if (++cmdline_len >= kCmdlineMax) break;
  }
  if (cmdline_len >= kCmdlineMax || cmdline_len > h.cmdline_size) {
    return Status(Err::kOutOfRange, "linux: command line longer than the kernel's cmdline_size");
  }

  // The initrd sits at the top of RAM (below initrd_addr_max), page-aligned.
  if (in.initrd_size != 0 && in.initrd == nullptr) {
    return Status(Err::kInvalidArgument, "linux: initrd size without data");
  }
  u64 initrd_start = ram;
  if (in.initrd_size != 0) {
    const u64 top =
        AlignDown(ram < u64{h.initrd_addr_max} + 1 ? ram : u64{h.initrd_addr_max} + 1, kPageSize);
    if (top < kHighRamStart || in.initrd_size > top - kHighRamStart) {
      return Status(Err::kOutOfRange, "linux: initrd does not fit in guest RAM");
    }
    initrd_start = AlignDown(top - in.initrd_size, kPageSize);
  }
  const u64 footprint = h.kernel_size > h.init_size ? h.kernel_size : u64{h.init_size};
  const u64 load = ChooseLoadAddress(h, footprint, initrd_start);
  if (load == 0) {
    return Status(Err::kOutOfRange,
                  "linux: kernel (init_size) and initrd do not fit in guest RAM together");
  }

  PV_TRY_ASSIGN(GuestEntryState s,
                WriteLongModeBase(memory, kBootCodeSelector, kBootDataSelector, kBootTssSelector));
  PV_TRY(memory.WriteGpa(load, in.image + h.setup_size, h.kernel_size));
  if (in.initrd_size != 0) PV_TRY(memory.WriteGpa(initrd_start, in.initrd, in.initrd_size));
  PV_TRY(memory.WriteGpa(kCmdlineGpa, in.cmdline, cmdline_len));
  const u8 nul = 0;
  PV_TRY(memory.WriteGpa(kCmdlineGpa + cmdline_len, &nul, 1));

  // boot_params: zeroed, the image's setup header copied in, then the loader's fields.
  static_assert(kE820TableOff + u64{3} * 20 <= kBootParamsSize);
  u8* bp = memory.HostPointer(kBootParamsGpa, kBootParamsSize);
  if (bp == nullptr) return Status(Err::kOutOfRange, "linux: boot_params outside guest RAM");
  memset(bp, 0, kBootParamsSize);
  memcpy(bp + kSetupSectsOff, in.image + kSetupSectsOff, h.header_end - kSetupSectsOff);
  bp[kTypeOfLoaderOff] = kTypeOfLoaderUndefined;
  bp[kLoadflagsOff] = h.loadflags | kLoadedHigh;
  Put<u32>(bp, kCode32StartOff, static_cast<u32>(load));
  const u64 initrd_gpa = in.initrd_size != 0 ? initrd_start : 0;
  Put<u32>(bp, kRamdiskImageOff, static_cast<u32>(initrd_gpa));
  Put<u32>(bp, kExtRamdiskImageOff, static_cast<u32>(initrd_gpa >> 32));
  Put<u32>(bp, kRamdiskSizeOff, static_cast<u32>(in.initrd_size));
  Put<u32>(bp, kExtRamdiskSizeOff, static_cast<u32>(in.initrd_size >> 32));
  Put<u32>(bp, kCmdLinePtrOff, static_cast<u32>(kCmdlineGpa));
  Put<u32>(bp, kExtCmdLinePtrOff, static_cast<u32>(kCmdlineGpa >> 32));

  // E820: low RAM, the PC's reserved hole (EBDA, VGA, option ROMs, BIOS), RAM from 1 MiB.
  struct E820 {
    u64 addr, size;
    u32 type;
  };
  const E820 map[] = {{0, kLowRamEnd, kE820Ram},
                      {kLowRamEnd, kHighRamStart - kLowRamEnd, kE820Reserved},
                      {kHighRamStart, ram - kHighRamStart, kE820Ram}};
  for (usize i = 0; i < 3; ++i) {
    const u64 at = kE820TableOff + i * 20;  // the kernel's struct is packed: 8 + 8 + 4 bytes
    Put<u64>(bp, at, map[i].addr);
    Put<u64>(bp, at + 8, map[i].size);
    Put<u32>(bp, at + 16, map[i].type);
  }
  bp[kE820EntriesOff] = 3;

  s.rip = load + kEntry64Offset;
  s.rsi = kBootParamsGpa;
  s.rsp = kStackTop;
  if (layout != nullptr) {
    *layout = {load,           load + footprint, in.initrd_size != 0 ? initrd_start : 0,
               in.initrd_size, cmdline_len,      3};
  }
  return s;
}

}  // namespace pv::linux_boot
