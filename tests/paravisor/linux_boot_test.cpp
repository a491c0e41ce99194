// The Linux boot protocol: setup-header checks and the boot_params/E820/initrd/entry state the
// loader builds, on synthetic bzImages (bzimage_fixture.h).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "bzimage_fixture.h"
#include "guest/linux_boot.h"

namespace pv::linux_boot {
namespace {

constexpr u64 kRam = 64ull << 20;

template <typename T>
T At(const std::vector<u8>& ram, u64 off) {
  T v;
  std::memcpy(&v, ram.data() + off, sizeof(T));
  return v;
}

class LinuxBootTest : public ::testing::Test {
 protected:
  LinuxBootTest() : ram_(kRam, 0xcc), mem_(ram_.data(), 0, kRam) {}
  bool RamUntouched() const {
    for (u8 b : ram_) {
      if (b != 0xcc) return false;
    }
    return true;
  }
  Result<GuestEntryState> Boot(const std::vector<u8>& image, const std::vector<u8>& initrd,
                               const char* cmdline) {
    LinuxBootInputs in{image.data(), image.size(), initrd.empty() ? nullptr : initrd.data(),
                       initrd.size(), cmdline};
    return WriteLinuxBootState(mem_, in, &layout_);
  }
  std::string ParseError(const testing::BzImageFixture& f) {
    const std::vector<u8> image = f.Build();
    auto r = ParseBzImageHeader(image.data(), image.size());
    return r.ok() ? "ok" : r.status().message();
  }
  std::vector<u8> ram_;
  GuestMemory mem_;
  LinuxBootLayout layout_;
};

TEST_F(LinuxBootTest, ParsesHeaderFields) {
  const std::vector<u8> image = testing::BzImageFixture{}.Build();
  auto h = ParseBzImageHeader(image.data(), image.size());
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h.value().version, 0x020f);
  EXPECT_EQ(h.value().setup_size, 1024u);
  EXPECT_EQ(h.value().kernel_size, 0x3000u);
  EXPECT_EQ(h.value().pref_address, 0x1000000u);
  EXPECT_EQ(h.value().init_size, 0x400000u);
  EXPECT_EQ(h.value().kernel_alignment, 0x200000u);
  EXPECT_EQ(h.value().header_end, 0x26cu);
  EXPECT_TRUE(h.value().relocatable);
}

TEST_F(LinuxBootTest, SetupSectsZeroMeansFour) {
  testing::BzImageFixture f;
  f.setup_sects = 0;
  const std::vector<u8> image = f.Build();
  auto h = ParseBzImageHeader(image.data(), image.size());
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h.value().setup_size, 5u * 512);
}

TEST_F(LinuxBootTest, RejectsWhatIsNotA64BitBzImage) {
  const u8 elf[0x300] = {0x7f, 'E', 'L', 'F'};
  auto r = ParseBzImageHeader(elf, sizeof(elf));
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.status().message(), "linux: not a bzImage (no 0xAA55 boot flag / \"HdrS\")");
  EXPECT_FALSE(ParseBzImageHeader(elf, 16).ok());
  EXPECT_FALSE(ParseBzImageHeader(nullptr, 0).ok());

  testing::BzImageFixture f;
  f.version = 0x020a;
  EXPECT_EQ(ParseError(f),
            "linux: boot protocol older than 2.12 (no 64-bit entry point / xloadflags)");
  f = {};
  f.xloadflags = 0;
  EXPECT_EQ(ParseError(f), "linux: kernel has no 64-bit entry point (XLF_KERNEL_64)");
  f = {};
  f.loadflags = 0;
  EXPECT_EQ(ParseError(f), "linux: kernel is not loadable high (zImage, LOADED_HIGH)");
  f = {};
  f.kernel_alignment = 0x3000;
  EXPECT_EQ(ParseError(f), "linux: kernel_alignment is not a power of two >= 4 KiB");
  f = {};
  f.init_size = 0;
  EXPECT_EQ(ParseError(f), "linux: init_size is 0");
  f = {};
  f.jump_len = 0x10;
  EXPECT_EQ(ParseError(f), "linux: setup header length out of range");
  f = {};
  f.kernel_bytes = 0;  // the setup area is the whole file
  EXPECT_EQ(ParseError(f), "linux: setup_sects leaves no protected-mode kernel in the image");
  f = {};
  f.kernel_bytes = 0x100;
  EXPECT_EQ(ParseError(f), "linux: protected-mode kernel ends before its entry");
}

TEST_F(LinuxBootTest, BuildsBootParamsAndEntryState) {
  const std::vector<u8> image = testing::BzImageFixture{}.Build();
  const std::vector<u8> initrd(10000, 0x5a);
  auto s = Boot(image, initrd, "console=ttyS0 quiet");
  ASSERT_TRUE(s.ok()) << s.status().message();

  // The protected-mode kernel at pref_address, entered at +0x200 with RSI = boot_params.
  EXPECT_EQ(layout_.kernel_load, 0x1000000u);
  EXPECT_EQ(0, std::memcmp(ram_.data() + 0x1000000, image.data() + 1024, 0x3000));
  EXPECT_EQ(s.value().rip, 0x1000200u);
  EXPECT_EQ(s.value().rsi, kBootParamsGpa);
  EXPECT_EQ(s.value().code_selector, 0x10);
  EXPECT_EQ(s.value().data_selector, 0x18);
  EXPECT_EQ(At<u64>(ram_, 0x2000 + 0x10), 0x00af9a000000ffffull);  // __BOOT_CS: 64-bit code
  EXPECT_EQ(At<u64>(ram_, 0x2000 + 0x18), 0x00cf92000000ffffull);  // __BOOT_DS
  EXPECT_EQ(s.value().efer & 0x500, 0x500u);                       // LME | LMA
  // The identity map covers all of RAM (the kernel, boot_params, the command line, the initrd).
  EXPECT_EQ(At<u64>(ram_, 0x5000 + 8 * 31), (31ull << 21) | 0x83);

  // boot_params: the image's header copied, the loader's fields set.
  const u64 bp = kBootParamsGpa;
  EXPECT_EQ(At<u16>(ram_, bp + 0x1fe), 0xaa55);
  EXPECT_EQ(At<u32>(ram_, bp + 0x202), 0x53726448u);
  EXPECT_EQ(At<u32>(ram_, bp + 0x260), 0x400000u);   // init_size
  EXPECT_EQ(At<u8>(ram_, bp + 0x210), 0xff);         // type_of_loader
  EXPECT_EQ(At<u8>(ram_, bp + 0x211) & 1, 1);        // LOADED_HIGH
  EXPECT_EQ(At<u32>(ram_, bp + 0x214), 0x1000000u);  // code32_start
  EXPECT_EQ(At<u8>(ram_, bp + 0x1ef), 0);            // sentinel
  EXPECT_EQ(At<u32>(ram_, bp + 0x228), kCmdlineGpa);
  EXPECT_EQ(At<u32>(ram_, bp + 0x0c8), 0u);
  EXPECT_STREQ(reinterpret_cast<const char*>(ram_.data() + kCmdlineGpa), "console=ttyS0 quiet");
  EXPECT_EQ(layout_.cmdline_len, 19u);

  // The initrd page-aligned at the top of RAM, its address and size in boot_params.
  EXPECT_EQ(layout_.initrd_start, kRam - 3 * 4096);
  EXPECT_EQ(At<u32>(ram_, bp + 0x218), kRam - 3 * 4096);
  EXPECT_EQ(At<u32>(ram_, bp + 0x21c), 10000u);
  EXPECT_EQ(At<u32>(ram_, bp + 0x0c0), 0u);
  EXPECT_EQ(At<u32>(ram_, bp + 0x0c4), 0u);
  EXPECT_EQ(ram_[kRam - 3 * 4096], 0x5a);
  EXPECT_EQ(ram_[kRam - 3 * 4096 + 9999], 0x5a);

  // E820: low RAM, the reserved PC hole, RAM from 1 MiB to the end.
  EXPECT_EQ(At<u8>(ram_, bp + 0x1e8), 3);
  const u64 e = bp + 0x2d0;
  EXPECT_EQ(At<u64>(ram_, e), 0u);
  EXPECT_EQ(At<u64>(ram_, e + 8), 0x9f000u);
  EXPECT_EQ(At<u32>(ram_, e + 16), 1u);
  EXPECT_EQ(At<u64>(ram_, e + 20), 0x9f000u);
  EXPECT_EQ(At<u32>(ram_, e + 36), 2u);
  EXPECT_EQ(At<u64>(ram_, e + 40), 0x100000u);
  EXPECT_EQ(At<u64>(ram_, e + 48), kRam - 0x100000);
  EXPECT_EQ(At<u32>(ram_, e + 56), 1u);
}

TEST_F(LinuxBootTest, InitrdStaysBelowInitrdAddrMax) {
  testing::BzImageFixture f;
  f.initrd_addr_max = 0x2000000 - 1;  // 32 MiB
  auto s = Boot(f.Build(), std::vector<u8>(4096, 1), "");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(layout_.initrd_start, 0x2000000u - 4096);
}

TEST_F(LinuxBootTest, RelocatesWhenThePreferredAddressIsUnusable) {
  testing::BzImageFixture f;
  f.pref_address = 0x1100000;  // not 2 MiB aligned
  auto s = Boot(f.Build(), {}, "");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(layout_.kernel_load, 0x200000u);
  EXPECT_EQ(s.value().rip, 0x200200u);
  f.relocatable = 0;
  EXPECT_FALSE(Boot(f.Build(), {}, "").ok());
}

TEST_F(LinuxBootTest, RejectsWhatDoesNotFitAndLeavesMemoryUntouched) {
  testing::BzImageFixture f;
  f.init_size = 0x7000000;  // 112 MiB of decompression space in a 64 MiB guest
  auto r = Boot(f.Build(), {}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.status().message(),
               "linux: kernel (init_size) and initrd do not fit in guest RAM together");
  // An initrd that squeezes the kernel out.
  r = Boot(testing::BzImageFixture{}.Build(), std::vector<u8>(kRam - 0x400000, 0), "");
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.status().message(),
               "linux: kernel (init_size) and initrd do not fit in guest RAM together");
  r = Boot(testing::BzImageFixture{}.Build(), std::vector<u8>(kRam, 0), "");
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.status().message(), "linux: initrd does not fit in guest RAM");
  f = {};
  f.initrd_addr_max = 0xfff;  // below 1 MiB: nowhere to put any initrd
  r = Boot(f.Build(), std::vector<u8>(16, 0), "");
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.status().message(), "linux: initrd does not fit in guest RAM");
  // A command line longer than the kernel's cmdline_size.
  f = {};
  f.cmdline_size = 8;
  r = Boot(f.Build(), {}, "console=ttyS0");
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.status().message(), "linux: command line longer than the kernel's cmdline_size");
  const std::string huge(9000, 'x');
  EXPECT_FALSE(Boot(testing::BzImageFixture{}.Build(), {}, huge.c_str()).ok());
  EXPECT_TRUE(RamUntouched());
}

TEST_F(LinuxBootTest, RejectsGuestMemoryItCannotMap) {
  std::vector<u8> small(1u << 20, 0);
  GuestMemory mem(small.data(), 0, small.size());
  const std::vector<u8> image = testing::BzImageFixture{}.Build();
  LinuxBootInputs in{image.data(), image.size(), nullptr, 0, ""};
  EXPECT_FALSE(WriteLinuxBootState(mem, in, nullptr).ok());
}

}  // namespace
}  // namespace pv::linux_boot
