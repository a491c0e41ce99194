#include "insn/decode.h"

#include <gtest/gtest.h>

#include <vector>

namespace pv::insn {
namespace {

Result<Decoded> D(std::vector<u8> b) {
  return Decode(b.data(), b.size());
}

TEST(Decode, LengthsOfExitingInstructions) {
  struct Case {
    std::vector<u8> bytes;
    Kind kind;
    u8 length;
  } cases[] = {
      {{0x0f, 0xa2}, Kind::kCpuid, 2},
      {{0x0f, 0x32}, Kind::kRdmsr, 2},
      {{0x0f, 0x30}, Kind::kWrmsr, 2},
      {{0x0f, 0x31}, Kind::kRdtsc, 2},
      {{0x0f, 0x08}, Kind::kInvd, 2},
      {{0xf4}, Kind::kHlt, 1},
      {{0x0f, 0x01, 0xd9}, Kind::kVmmcall, 3},
      {{0x0f, 0x01, 0xc1}, Kind::kVmcall, 3},
      {{0x0f, 0x01, 0xd8}, Kind::kVmrun, 3},
      {{0xe4, 0x80}, Kind::kInImm, 2},
      {{0xe7, 0x80}, Kind::kOutImm, 2},
      {{0xec}, Kind::kInDx, 1},
      {{0x66, 0xef}, Kind::kOutDx, 2},
      {{0xf3, 0x6e}, Kind::kOuts, 2},
      {{0x2e, 0x0f, 0xa2}, Kind::kCpuid, 3},
      {{0x48, 0x0f, 0x32}, Kind::kRdmsr, 3},
      {{0x66, 0x67, 0x2e, 0x48, 0x0f, 0x01, 0xd9}, Kind::kVmmcall, 7},
  };
  for (const auto& c : cases) {
    auto d = D(c.bytes);
    ASSERT_TRUE(d.ok()) << d.status().message();
    EXPECT_EQ(d.value().kind, c.kind);
    EXPECT_EQ(d.value().length, c.length);
  }
}

TEST(Decode, PrefixFlags) {
  auto d = D({0xf3, 0x66, 0x6f});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.value().rep);
  EXPECT_TRUE(d.value().operand_size_prefix);
  EXPECT_FALSE(d.value().address_size_prefix);
  auto w = D({0x48, 0x0f, 0x30});
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w.value().rex_w);
}

TEST(Decode, RejectsTruncatedInstructions) {
  EXPECT_EQ(D({0x0f}).status().code(), Err::kOutOfRange);
  EXPECT_EQ(D({0x0f, 0x01}).status().code(), Err::kOutOfRange);
  EXPECT_EQ(D({0xe4}).status().code(), Err::kOutOfRange);
  EXPECT_EQ(D({0x66, 0x66}).status().code(), Err::kOutOfRange);
  EXPECT_EQ(Decode(nullptr, 0).status().code(), Err::kOutOfRange);
}

TEST(Decode, EnforcesFifteenByteLimit) {
  std::vector<u8> b(13, 0x66);
  b.push_back(0x0f);
  b.push_back(0xa2);  // 15 bytes: legal
  auto ok = D(b);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value().length, 15);
  b.insert(b.begin(), 0x66);  // 16 bytes: #GP on hardware
  EXPECT_EQ(D(b).status().code(), Err::kInvalidArgument);
  std::vector<u8> prefixes_only(20, 0x2e);
  EXPECT_EQ(D(prefixes_only).status().code(), Err::kInvalidArgument);
}

TEST(Decode, RejectsInstructionsThatDoNotExit) {
  EXPECT_EQ(D({0x90}).status().code(), Err::kUnsupported);
  EXPECT_EQ(D({0x0f, 0x05}).status().code(), Err::kUnsupported);        // syscall
  EXPECT_EQ(D({0x0f, 0x01, 0xf8}).status().code(), Err::kUnsupported);  // swapgs
}

TEST(Decode, RexOnlyCountsBeforeTheOpcode) {
  // A REX followed by a legacy prefix is ignored by the CPU, which still executes the opcode.
  auto d = D({0x48, 0x66, 0x0f, 0xa2});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().kind, Kind::kCpuid);
  EXPECT_EQ(d.value().length, 4);
  EXPECT_FALSE(d.value().rex_w);
  auto w = D({0x66, 0x48, 0x0f, 0x32});
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w.value().rex_w);
}

}  // namespace
}  // namespace pv::insn
