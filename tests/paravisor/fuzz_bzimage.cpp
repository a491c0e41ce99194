// libFuzzer: the Linux boot protocol's bzImage setup-header parser and boot_params builder, fed
// hostile images. Guest memory is a real buffer (ASan catches any access outside it); whatever
// the loader accepts must lie inside RAM with the entry point inside the copied kernel.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bzimage_fixture.h"
#include "guest/linux_boot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr pv::u64 kRam = 32ull << 20;
  static std::vector<pv::u8> ram(kRam);
  // Start from a valid image so the fuzzer reaches the checks past the magic: the input's first
  // bytes overwrite the setup header (0x1f1..0x290), the rest is the kernel and the initrd.
  std::vector<pv::u8> image = pv::testing::BzImageFixture{}.Build();
  const size_t hdr = size < 0x290 - 0x1f1 ? size : 0x290 - 0x1f1;
  std::memcpy(image.data() + 0x1f1, data, hdr);
  image.insert(image.end(), data + hdr, data + size);
  const size_t initrd_len = (size - hdr) / 2;

  (void)pv::linux_boot::ParseBzImageHeader(data, size);  // the raw input as an image, too
  pv::GuestMemory mem(ram.data(), 0, kRam);
  pv::linux_boot::LinuxBootInputs in{image.data(), image.size(), data + hdr, initrd_len,
                                     "console=ttyS0"};
  pv::linux_boot::LinuxBootLayout layout;
  auto s = pv::linux_boot::WriteLinuxBootState(mem, in, &layout);
  if (s.ok()) {
    if (layout.kernel_end > kRam || layout.kernel_load < 0x100000) __builtin_trap();
    if (s.value().rip != layout.kernel_load + 0x200) __builtin_trap();
    if (initrd_len != 0 &&
        (layout.initrd_start < layout.kernel_end || layout.initrd_start + initrd_len > kRam)) {
      __builtin_trap();
    }
  }
  return 0;
}
