// The Linux x86 64-bit boot protocol (Documentation/arch/x86/boot.rst): a bzImage's setup header
// is read and checked, the protected-mode kernel is copied to its load address, the initrd to
// the top of RAM, and a boot_params ("zero page") with the E820 map, the command line and the
// initrd's address is written; the guest then starts at the 64-bit entry point (load address +
// 0x200) with RSI = boot_params, paging on with an identity map of all RAM, __BOOT_CS = 0x10,
// __BOOT_DS = 0x18, interrupts off.
//
// The image, the initrd and the command line are untrusted input: every header field is
// range-checked before use and a rejected kernel leaves guest memory untouched.
#ifndef PV_GUEST_LINUX_BOOT_H_
#define PV_GUEST_LINUX_BOOT_H_

#include "guest/boot_state.h"
#include "guest/guest_memory.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::linux_boot {

// Guest-physical layout below 1 MiB (the GDT, TSS and page tables are boot_state.h's).
constexpr u64 kStackTop = 0x7000;        // RSP: the stack grows down into 0x6000..0x6fff
constexpr u64 kBootParamsGpa = 0x7000;   // struct boot_params, 4 KiB
constexpr u64 kCmdlineGpa = 0x8000;      // NUL-terminated, up to kCmdlineMax bytes
constexpr u64 kCmdlineMax = 0x1000;      // including the NUL; also capped by cmdline_size
constexpr u64 kLowRamEnd = 0x9f000;      // E820: usable 0..here, reserved up to 1 MiB (EBDA,
constexpr u64 kHighRamStart = 0x100000;  //   VGA, ROMs as on a PC), usable from 1 MiB on
constexpr u16 kBootCodeSelector = 0x10;  // __BOOT_CS
constexpr u16 kBootDataSelector = 0x18;  // __BOOT_DS
constexpr u16 kBootTssSelector = 0x20;
constexpr u16 kMinProtocol = 0x020c;   // 2.12: xloadflags and the 64-bit entry point
constexpr u64 kEntry64Offset = 0x200;  // startup_64 relative to the load address

// setup_header fields (offsets into the image and into boot_params alike).
struct BzImageHeader {
  u16 version = 0;
  u8 setup_sects = 0;  // 0 means 4
  u8 loadflags = 0;
  u16 xloadflags = 0;
  bool relocatable = false;
  u32 kernel_alignment = 0;
  u64 pref_address = 0;
  u32 init_size = 0;
  u32 initrd_addr_max = 0;
  u32 cmdline_size = 0;
  u64 setup_size = 0;   // bytes of real-mode setup before the protected-mode kernel
  u64 kernel_size = 0;  // bytes of the protected-mode kernel (the rest of the file)
  u64 header_end = 0;   // one past the setup header (0x202 + the byte at 0x201)
};

// Reads and checks the setup header. Errors name the problem: not a bzImage (boot flag, "HdrS"),
// protocol older than 2.12, no 64-bit entry point, not loadable high, bad alignment or sizes.
Result<BzImageHeader> ParseBzImageHeader(const u8* image, u64 image_size);

struct LinuxBootLayout {
  u64 kernel_load = 0;  // where the protected-mode kernel was copied (entry = this + 0x200)
  u64 kernel_end = 0;   // load + max(kernel size, init_size): the kernel's whole footprint
  u64 initrd_start = 0, initrd_size = 0;
  u64 cmdline_len = 0;  // bytes, excluding the NUL
  u32 e820_entries = 0;
};

struct LinuxBootInputs {
  const u8* image = nullptr;
  u64 image_size = 0;
  const u8* initrd = nullptr;  // may be null (size 0): no initrd
  u64 initrd_size = 0;
  const char* cmdline = "";  // NUL-terminated
};

// Places the kernel, the initrd, the command line and boot_params in guest memory and returns
// the register state for the backend. Errors: the header's, a command line longer than the
// kernel accepts, a kernel or initrd that does not fit in the guest's RAM.
Result<GuestEntryState> WriteLinuxBootState(GuestMemory& memory, const LinuxBootInputs& in,
                                            LinuxBootLayout* layout);

}  // namespace pv::linux_boot

#endif  // PV_GUEST_LINUX_BOOT_H_
