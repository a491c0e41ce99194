// A synthetic bzImage for the Linux boot protocol tests and the fuzzer's seed: a real-mode setup
// area with a setup header whose fields each test can change, followed by a protected-mode
// "kernel" of recognisable bytes. Only the header fields the loader reads are filled in.
#ifndef PV_TESTS_PARAVISOR_BZIMAGE_FIXTURE_H_
#define PV_TESTS_PARAVISOR_BZIMAGE_FIXTURE_H_

#include <cstdint>
#include <cstring>
#include <vector>

namespace pv::testing {

struct BzImageFixture {
  uint8_t setup_sects = 1;  // setup = (1 + 1) * 512 bytes
  uint16_t version = 0x020f;
  uint8_t loadflags = 0x01;    // LOADED_HIGH
  uint16_t xloadflags = 0x01;  // XLF_KERNEL_64
  uint8_t relocatable = 1;
  uint32_t kernel_alignment = 0x200000;
  uint64_t pref_address = 0x1000000;
  uint32_t init_size = 0x400000;
  uint32_t initrd_addr_max = 0x7fffffff;
  uint32_t cmdline_size = 2047;
  uint8_t jump_len = 0x6a;  // header ends at 0x26c (protocol 2.15)
  size_t kernel_bytes = 0x3000;

  std::vector<uint8_t> Build() const {
    const size_t sects = setup_sects == 0 ? 4 : setup_sects;
    std::vector<uint8_t> b((sects + 1) * 512 + kernel_bytes, 0);
    auto put = [&](size_t off, auto v) { std::memcpy(b.data() + off, &v, sizeof(v)); };
    put(0x1f1, setup_sects);
    put(0x1fe, uint16_t{0xaa55});
    put(0x200, uint8_t{0xeb});  // jmp short over the header
    put(0x201, jump_len);
    std::memcpy(b.data() + 0x202, "HdrS", 4);
    put(0x206, version);
    put(0x211, loadflags);
    put(0x22c, initrd_addr_max);
    put(0x230, kernel_alignment);
    put(0x234, relocatable);
    put(0x236, xloadflags);
    put(0x238, cmdline_size);
    put(0x258, pref_address);
    put(0x260, init_size);
    for (size_t i = 0; i < kernel_bytes; ++i) b[(sects + 1) * 512 + i] = uint8_t(i * 7 + 1);
    return b;
  }
};

}  // namespace pv::testing

#endif  // PV_TESTS_PARAVISOR_BZIMAGE_FIXTURE_H_
