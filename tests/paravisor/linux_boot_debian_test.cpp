// The Linux boot protocol on Debian's own kernel (fetched by scripts/fetch_linux_kernel.sh into
// a cache; the path comes in PV_LINUX_VMLINUZ). Registered with label `linux` only, by a wrapper
// that fetches the kernel first: without the variable the test fails, it never skips.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "guest/linux_boot.h"

namespace pv::linux_boot {
namespace {

std::vector<u8> ReadKernel() {
  const char* path = std::getenv("PV_LINUX_VMLINUZ");
  if (path == nullptr) return {};
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(LinuxBootDebianKernel, HeaderIsAccepted) {
  const std::vector<u8> image = ReadKernel();
  ASSERT_GT(image.size(), 1u << 20) << "PV_LINUX_VMLINUZ must name Debian's vmlinuz";
  auto h = ParseBzImageHeader(image.data(), image.size());
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_GE(h.value().version, 0x020c);
  EXPECT_TRUE(h.value().relocatable);
  EXPECT_NE(h.value().xloadflags & 1, 0);
  EXPECT_GT(h.value().init_size, h.value().kernel_size);  // room to decompress in place
  EXPECT_EQ(h.value().setup_size + h.value().kernel_size, image.size());
}

TEST(LinuxBootDebianKernel, BootsStateIn128MiBAndIsRefusedIn32MiB) {
  const std::vector<u8> image = ReadKernel();
  ASSERT_GT(image.size(), 1u << 20);
  const std::vector<u8> initrd(1 << 20, 0x07);
  std::vector<u8> ram(128u << 20, 0);
  GuestMemory mem(ram.data(), 0, ram.size());
  LinuxBootLayout layout;
  auto s = WriteLinuxBootState(
      mem, {image.data(), image.size(), initrd.data(), initrd.size(), "console=ttyS0 panic=-1"},
      &layout);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(layout.kernel_load % 0x200000, 0u);
  EXPECT_LE(layout.kernel_end, layout.initrd_start);
  EXPECT_EQ(s.value().rip, layout.kernel_load + 0x200);

  // Debian's init_size (about 64 MiB) does not fit a 32 MiB guest: refused with a clear error.
  std::vector<u8> small(32u << 20, 0);
  GuestMemory small_mem(small.data(), 0, small.size());
  auto r = WriteLinuxBootState(small_mem, {image.data(), image.size(), nullptr, 0, ""}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.status().message(),
               "linux: kernel (init_size) and initrd do not fit in guest RAM together");
}

}  // namespace
}  // namespace pv::linux_boot
