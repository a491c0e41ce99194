#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/abi.h"
#include "guest/boot_state.h"
#include "guest/guest_memory.h"
#include "guest/loader.h"

namespace pv {
namespace {

constexpr u64 kRam = 8ull << 20;
constexpr u64 kLongMode = 1ull << 10;

class GuestMemoryTest : public ::testing::Test {
 protected:
  GuestMemoryTest() : ram_(kRam, 0), mem_(ram_.data(), 0, kRam) {}
  void Put64(u64 gpa, u64 v) { std::memcpy(ram_.data() + gpa, &v, 8); }
  GuestPaging LongMode(u64 cr3) { return {1ull << 31, cr3, 1ull << 5, kLongMode}; }
  std::vector<u8> ram_;
  GuestMemory mem_;
};

TEST_F(GuestMemoryTest, BoundsChecks) {
  u8 b[16];
  EXPECT_TRUE(mem_.ReadGpa(kRam - 16, b, 16).ok());
  EXPECT_FALSE(mem_.ReadGpa(kRam - 15, b, 16).ok());
  EXPECT_FALSE(mem_.ReadGpa(~0ull - 4, b, 16).ok());  // wrap-around
  EXPECT_FALSE(mem_.WriteGpa(kRam, b, 1).ok());
  EXPECT_EQ(mem_.HostPointer(kRam, 1), nullptr);
}

TEST_F(GuestMemoryTest, PagingOffIsIdentity) {
  auto r = mem_.Translate({}, 0x1234);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 0x1234u);
}

TEST_F(GuestMemoryTest, WalksFourKilobyteTwoMegabyteAndGigabytePages) {
  // PML4 0x10000 -> PDPT 0x11000; PDPT[0] -> PD 0x12000; PD[1] 2 MiB page at 0x400000;
  // PD[0] -> PT 0x13000; PT[5] -> 0x7000. PDPT[1]: 1 GiB page at GPA 0 (frame must be 1G-aligned).
  Put64(0x10000, 0x11000 | 3);
  Put64(0x11000, 0x12000 | 3);
  Put64(0x11000 + 8, 0x0 | 0x83);
  Put64(0x12000 + 8, 0x400000 | 0x83);
  Put64(0x12000, 0x13000 | 3);
  Put64(0x13000 + 5 * 8, 0x7000 | 3);
  const GuestPaging p = LongMode(0x10000);
  EXPECT_EQ(mem_.Translate(p, 0x5123).value(), 0x7123u);
  EXPECT_EQ(mem_.Translate(p, 0x200000 + 0x1abcd).value(), 0x41abcdu);
  EXPECT_EQ(mem_.Translate(p, (1ull << 30) + 0x345).value(), 0x345u);
  EXPECT_EQ(mem_.Translate(p, 0x6000).status().code(), Err::kNotFound);
}

TEST_F(GuestMemoryTest, HostileTablesAreBounded) {
  Put64(0x10000, 0xfff0000000 | 3);  // PDPT far outside guest RAM
  EXPECT_EQ(mem_.Translate(LongMode(0x10000), 0).status().code(), Err::kOutOfRange);
  EXPECT_EQ(mem_.Translate(LongMode(0xffff0000000), 0).status().code(), Err::kOutOfRange);
}

TEST_F(GuestMemoryTest, WalkRejectsWhatTheCpuWouldFaultOn) {
  Put64(0x10000, 0x11000 | 3);
  Put64(0x11000, 0x12000 | 3);
  Put64(0x12000, 0x200000 | 0x83);
  const GuestPaging p = LongMode(0x10000);
  EXPECT_TRUE(mem_.Translate(p, 0x1000).ok());
  // Non-canonical: bit 47 clear but bit 48 set, and the reverse.
  EXPECT_EQ(mem_.Translate(p, 1ull << 48).status().code(), Err::kInvalidArgument);
  EXPECT_EQ(mem_.Translate(p, 0xffff000000001000ull).status().code(), Err::kInvalidArgument);
  // PS=1 in the PML4 entry.
  Put64(0x10000, 0x11000 | 0x83);
  EXPECT_EQ(mem_.Translate(p, 0x1000).status().code(), Err::kInvalidArgument);
  // A 2 MiB page whose frame is not 2 MiB aligned.
  Put64(0x10000, 0x11000 | 3);
  Put64(0x12000, 0x202000 | 0x83);
  EXPECT_EQ(mem_.Translate(p, 0x1000).status().code(), Err::kInvalidArgument);
  Put64(0x12000, 0x200000 | 0x1083);  // bit 12 is the PAT bit: allowed
  EXPECT_TRUE(mem_.Translate(p, 0x1000).ok());
}

TEST_F(GuestMemoryTest, ReadGvaCrossesPages) {
  Put64(0x10000, 0x11000 | 3);
  Put64(0x11000, 0x12000 | 3);
  Put64(0x12000, 0x13000 | 3);
  Put64(0x13000 + 0 * 8, 0x20000 | 3);  // GVA page 0 -> 0x20000
  Put64(0x13000 + 1 * 8, 0x50000 | 3);  // GVA page 1 -> 0x50000 (not contiguous)
  ram_[0x20ffe] = 'a';
  ram_[0x20fff] = 'b';
  ram_[0x50000] = 'c';
  char out[3];
  ASSERT_TRUE(mem_.ReadGva(LongMode(0x10000), 0xffe, out, 3).ok());
  EXPECT_EQ(std::string(out, 3), "abc");
}

TEST_F(GuestMemoryTest, UnsupportedPagingModes) {
  GuestPaging legacy{1ull << 31, 0x10000, 0, 0};
  EXPECT_EQ(mem_.Translate(legacy, 0).status().code(), Err::kUnsupported);
  GuestPaging la57 = LongMode(0x10000);
  la57.cr4 |= 1ull << 12;
  EXPECT_EQ(mem_.Translate(la57, 0).status().code(), Err::kUnsupported);
}

TEST_F(GuestMemoryTest, BootStateBuildsWorkingIdentityMap) {
  const u8 code[] = {0xf4};
  auto image = LoadGuestImage(mem_, code, 1);
  ASSERT_TRUE(image.ok());
  auto entry = WriteGuestBootState(mem_, image.value(), "hello world");
  ASSERT_TRUE(entry.ok());
  const GuestPaging p{entry.value().cr0, entry.value().cr3, entry.value().cr4, entry.value().efer};
  EXPECT_EQ(mem_.Translate(p, abi::kImageBase).value(), abi::kImageBase);
  EXPECT_EQ(mem_.Translate(p, kRam - 1).value(), kRam - 1);
  EXPECT_EQ(mem_.Translate(p, kRam).status().code(), Err::kNotFound);
  abi::BootInfo info;
  ASSERT_TRUE(mem_.ReadGpa(abi::kBootInfoGpa, &info, sizeof(info)).ok());
  EXPECT_EQ(info.magic, abi::kBootInfoMagic);
  EXPECT_EQ(info.mem_size, kRam);
  EXPECT_EQ(info.cmdline_len, 11u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(ram_.data() + abi::kCmdlineGpa)), "hello world");
  EXPECT_EQ(entry.value().rsp, kRam);
  EXPECT_EQ(entry.value().rip, abi::kImageBase);
}

TEST_F(GuestMemoryTest, BootStateRejectsOddSizes) {
  GuestMemory odd(ram_.data(), 0, kRam - 4096);
  LoadedImage img{abi::kImageBase, abi::kImageBase, abi::kImageBase + 1, false};
  EXPECT_FALSE(WriteGuestBootState(odd, img, "").ok());
}

}  // namespace
}  // namespace pv
