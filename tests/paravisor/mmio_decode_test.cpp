#include "insn/mmio_decode.h"

#include <gtest/gtest.h>

#include <vector>

namespace pv::insn {
namespace {

Result<MmioAccess> D(std::vector<u8> b) {
  return DecodeMmio(b.data(), b.size());
}

TEST(MmioDecode, LoadsAndStoresOfRegisters) {
  auto load = D({0x8b, 0x03});  // mov eax, [rbx]
  ASSERT_TRUE(load.ok());
  EXPECT_FALSE(load.value().write);
  EXPECT_EQ(load.value().size, 4);
  EXPECT_EQ(load.value().dest_size, 4);
  EXPECT_EQ(load.value().reg, 0);
  EXPECT_EQ(load.value().length, 2);

  auto load64 = D({0x48, 0x8b, 0x43, 0x08});  // mov rax, [rbx+8]
  ASSERT_TRUE(load64.ok());
  EXPECT_EQ(load64.value().size, 8);
  EXPECT_EQ(load64.value().length, 4);

  auto store = D({0x89, 0x0b});  // mov [rbx], ecx
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(store.value().write);
  EXPECT_EQ(store.value().reg, 1);
  EXPECT_FALSE(store.value().has_immediate);

  auto r8 = D({0x44, 0x8b, 0x04, 0x24});  // mov r8d, [rsp] (SIB)
  ASSERT_TRUE(r8.ok());
  EXPECT_EQ(r8.value().reg, 8);
  EXPECT_EQ(r8.value().length, 4);

  auto word = D({0x66, 0x89, 0x13});  // mov [rbx], dx
  ASSERT_TRUE(word.ok());
  EXPECT_EQ(word.value().size, 2);
}

TEST(MmioDecode, ByteRegistersHighAndRex) {
  auto ah = D({0x88, 0x63, 0x08});  // mov [rbx+8], ah
  ASSERT_TRUE(ah.ok());
  EXPECT_TRUE(ah.value().high_byte);
  EXPECT_EQ(ah.value().reg, 0);
  EXPECT_EQ(ah.value().length, 3);
  auto spl = D({0x40, 0x88, 0x63, 0x08});  // mov [rbx+8], spl: any REX selects SPL
  ASSERT_TRUE(spl.ok());
  EXPECT_FALSE(spl.value().high_byte);
  EXPECT_EQ(spl.value().reg, 4);
  auto al = D({0x8a, 0x43, 0x08});  // mov al, [rbx+8]
  ASSERT_TRUE(al.ok());
  EXPECT_EQ(al.value().size, 1);
  EXPECT_FALSE(al.value().write);
}

TEST(MmioDecode, Immediates) {
  auto d = D({0xc7, 0x03, 0x29, 0x00, 0x00, 0x00});  // mov dword [rbx], 41
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.value().has_immediate);
  EXPECT_EQ(d.value().immediate, 41u);
  EXPECT_EQ(d.value().length, 6);
  auto q = D({0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0xff});  // mov qword [rbx], -1
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q.value().size, 8);
  EXPECT_EQ(q.value().immediate, ~0ull);       // imm32 sign-extends to 64 bits
  auto w = D({0x66, 0xc7, 0x03, 0x34, 0x12});  // mov word [rbx], 0x1234
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value().size, 2);
  EXPECT_EQ(w.value().immediate, 0x1234u);
  EXPECT_EQ(w.value().length, 5);
  auto b = D({0xc6, 0x03, 0x80});  // mov byte [rbx], 0x80
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value().immediate, 0x80u);
}

TEST(MmioDecode, Movzx) {
  auto d = D({0x0f, 0xb6, 0x4b, 0x09});  // movzx ecx, byte [rbx+9]
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d.value().write);
  EXPECT_EQ(d.value().size, 1);
  EXPECT_EQ(d.value().dest_size, 4);
  EXPECT_EQ(d.value().reg, 1);
  EXPECT_EQ(d.value().length, 4);
  auto w = D({0x48, 0x0f, 0xb7, 0x03});  // movzx rax, word [rbx]
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value().size, 2);
  EXPECT_EQ(w.value().dest_size, 8);
}

TEST(MmioDecode, AddressingForms) {
  EXPECT_EQ(D({0x8b, 0x05, 0, 0x10, 0, 0}).value().length, 6);           // [rip+disp32]
  EXPECT_EQ(D({0x8b, 0x04, 0x25, 0, 0, 0xb0, 0xfe}).value().length, 7);  // [disp32] via SIB
  EXPECT_EQ(D({0x8b, 0x84, 0x24, 0, 1, 0, 0}).value().length, 7);        // [rsp+disp32]
  EXPECT_EQ(D({0x8b, 0x44, 0x24, 0x10}).value().length, 4);              // [rsp+disp8]
}

TEST(MmioDecode, RefusesWhatIsNotAPlainMove) {
  EXPECT_EQ(D({0x8b, 0xc3}).status().code(), Err::kUnsupported);              // register operand
  EXPECT_EQ(D({0xf3, 0xa5}).status().code(), Err::kUnsupported);              // rep movs
  EXPECT_EQ(D({0x01, 0x03}).status().code(), Err::kUnsupported);              // add [rbx], eax
  EXPECT_EQ(D({0xc7, 0x0b, 1, 0, 0, 0}).status().code(), Err::kUnsupported);  // C7 /1
  EXPECT_EQ(D({0xf0, 0x89, 0x03}).status().code(), Err::kUnsupported);        // lock
  EXPECT_EQ(D({0x0f, 0x10, 0x03}).status().code(), Err::kUnsupported);        // movups
}

TEST(MmioDecode, BoundsAndLength) {
  EXPECT_EQ(D({0x8b, 0x84, 0x24, 0}).status().code(), Err::kOutOfRange);  // displacement cut
  EXPECT_EQ(D({0xc7, 0x03, 0x29}).status().code(), Err::kOutOfRange);     // immediate cut
  EXPECT_EQ(D({0x66}).status().code(), Err::kOutOfRange);
  EXPECT_EQ(DecodeMmio(nullptr, 0).status().code(), Err::kOutOfRange);
  std::vector<u8> long_one(12, 0x66);
  for (u8 b : {0xc7, 0x03, 0x29, 0x00, 0x00}) long_one.push_back(b);  // 17 bytes needed
  long_one.push_back(0);
  EXPECT_EQ(D(long_one).status().code(), Err::kInvalidArgument);
}

}  // namespace
}  // namespace pv::insn
