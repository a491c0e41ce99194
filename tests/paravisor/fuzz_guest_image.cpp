// libFuzzer: guest image loading (ELF parsing) and the guest page-table walker, both of which
// read untrusted bytes. Memory is a real buffer; ASan catches any access outside it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "guest/boot_state.h"
#include "guest/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr pv::u64 kRam = 4ull << 20;
  static std::vector<pv::u8> ram(kRam);
  std::memset(ram.data(), 0, kRam);
  pv::GuestMemory mem(ram.data(), 0, kRam);
  auto image = pv::LoadGuestImage(mem, data, size);
  if (image.ok()) {
    if (image.value().start < 0x100000 || image.value().end > kRam) __builtin_trap();
    (void)pv::WriteGuestBootState(mem, image.value(), "fuzz");
  }
  // Walk page tables whose contents are the fuzz input itself.
  if (size >= 8) {
    std::memcpy(ram.data() + 0x10000, data, size < 0x10000 ? size : 0x10000);
    pv::u64 gva;
    std::memcpy(&gva, data, 8);
    pv::GuestPaging p{1ull << 31, 0x10000, 1ull << 5, 1ull << 10};
    pv::u8 buf[32];
    (void)mem.ReadGva(p, gva, buf, sizeof(buf));
  }
  return 0;
}
