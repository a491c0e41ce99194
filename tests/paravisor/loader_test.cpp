#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/abi.h"
#include "guest/loader.h"

namespace pv {
namespace {

constexpr u64 kRam = 16ull << 20;

struct Elf {
  std::vector<u8> bytes;
  // One PT_LOAD: `data` at `paddr` with `memsz`, entry `entry`.
  static Elf Make(u64 paddr, std::vector<u8> data, u64 memsz, u64 entry, u32 flags = 5) {
    Elf e;
    e.bytes.assign(64 + 56, 0);
    u8* h = e.bytes.data();
    const u8 ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(h, ident, sizeof(ident));
    auto put16 = [&](size_t off, u16 v) { std::memcpy(h + off, &v, 2); };
    auto put32 = [&](size_t off, u32 v) { std::memcpy(h + off, &v, 4); };
    auto put64 = [&](size_t off, u64 v) { std::memcpy(h + off, &v, 8); };
    put16(16, 2);   // ET_EXEC
    put16(18, 62);  // EM_X86_64
    put32(20, 1);
    put64(24, entry);
    put64(32, 64);  // phoff
    put16(52, 64);
    put16(54, 56);     // phentsize
    put16(56, 1);      // phnum
    put32(64 + 0, 1);  // PT_LOAD
    put32(64 + 4, flags);
    put64(64 + 8, 64 + 56);  // offset
    put64(64 + 16, paddr);
    put64(64 + 24, paddr);
    put64(64 + 32, data.size());
    put64(64 + 40, memsz);
    e.bytes.insert(e.bytes.end(), data.begin(), data.end());
    return e;
  }
};

class LoaderTest : public ::testing::Test {
 protected:
  LoaderTest() : ram_(kRam, 0xcc), mem_(ram_.data(), 0, kRam) {}
  bool RamUntouched() {
    for (u8 b : ram_) {
      if (b != 0xcc) return false;
    }
    return true;
  }
  std::vector<u8> ram_;
  GuestMemory mem_;
};

TEST_F(LoaderTest, FlatImageAtImageBase) {
  const u8 code[] = {0xf4, 0x90};
  auto r = LoadGuestImage(mem_, code, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().elf);
  EXPECT_EQ(r.value().entry, abi::kImageBase);
  EXPECT_EQ(ram_[abi::kImageBase], 0xf4);
  EXPECT_EQ(r.value().end, abi::kImageBase + 2);
}

TEST_F(LoaderTest, ElfSegmentsAndBss) {
  auto e = Elf::Make(0x200000, {1, 2, 3}, 0x10, 0x200001);
  auto r = LoadGuestImage(mem_, e.bytes.data(), e.bytes.size());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r.value().elf);
  EXPECT_EQ(r.value().entry, 0x200001u);
  EXPECT_EQ(ram_[0x200000], 1);
  EXPECT_EQ(ram_[0x200002], 3);
  EXPECT_EQ(ram_[0x200003], 0);  // BSS zeroed
  EXPECT_EQ(ram_[0x20000f], 0);
  EXPECT_EQ(ram_[0x200010], 0xcc);
}

TEST_F(LoaderTest, RejectsBadImagesWithoutWriting) {
  struct Case {
    const char* what;
    Elf elf;
  } cases[] = {
      {"below image base", Elf::Make(0x1000, {1}, 1, 0x1000)},
      {"past guest RAM", Elf::Make(kRam - 0x100, {1}, 0x200, kRam - 0x100)},
      {"into the stack reserve", Elf::Make(kRam - kStackReserve, {1}, 1, kRam - kStackReserve)},
      {"huge memsz wraps", Elf::Make(0x200000, {1}, ~0ull - 0x100000, 0x200000)},
      {"entry outside", Elf::Make(0x200000, {1}, 1, 0x300000)},
      {"entry not executable", Elf::Make(0x200000, {1}, 1, 0x200000, 6)},
  };
  for (auto& c : cases) {
    auto r = LoadGuestImage(mem_, c.elf.bytes.data(), c.elf.bytes.size());
    EXPECT_FALSE(r.ok()) << c.what;
    EXPECT_TRUE(RamUntouched()) << c.what;
  }
}

TEST_F(LoaderTest, RejectsMalformedHeaders) {
  auto e = Elf::Make(0x200000, {1, 2, 3}, 3, 0x200000);
  for (size_t cut : {size_t{10}, size_t{64}, size_t{100}, e.bytes.size() - 1}) {
    EXPECT_FALSE(LoadGuestImage(mem_, e.bytes.data(), cut).ok()) << "truncated at " << cut;
  }
  auto bad_class = e;
  bad_class.bytes[4] = 1;  // ELFCLASS32
  EXPECT_EQ(LoadGuestImage(mem_, bad_class.bytes.data(), bad_class.bytes.size()).status().code(),
            Err::kUnsupported);
  auto filesz_gt_memsz = Elf::Make(0x200000, {1, 2, 3}, 2, 0x200000);
  EXPECT_FALSE(
      LoadGuestImage(mem_, filesz_gt_memsz.bytes.data(), filesz_gt_memsz.bytes.size()).ok());
  EXPECT_TRUE(RamUntouched());
}

TEST_F(LoaderTest, FlatImageTooLarge) {
  std::vector<u8> big(kRam, 0x90);
  EXPECT_FALSE(LoadGuestImage(mem_, big.data(), big.size()).ok());
  EXPECT_FALSE(LoadGuestImage(mem_, big.data(), 0).ok());
}

}  // namespace
}  // namespace pv
