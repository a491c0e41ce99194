#include <gtest/gtest.h>

#include "lib/cmdline.h"
#include "lib/log.h"

namespace pv {
namespace {

TEST(Cmdline, FindsKeysAndValues) {
  Cmdline c("/path/to/paravisor.elf test=loop iters=0x10 verbose guest_mem=32");
  StrView v;
  ASSERT_TRUE(c.Get("test", &v));
  EXPECT_TRUE(v.Equals("loop"));
  EXPECT_EQ(c.GetU64("iters", 0), 16u);
  EXPECT_EQ(c.GetU64("guest_mem", 0), 32u);
  EXPECT_TRUE(c.Has("verbose"));
  EXPECT_FALSE(c.Has("verb"));
  EXPECT_FALSE(c.Has("iter"));
  EXPECT_EQ(c.GetU64("missing", 7), 7u);
}

TEST(Cmdline, BadNumbersFallBack) {
  Cmdline c("a=12x b= c=99999999999999999999999 d=0x");
  EXPECT_EQ(c.GetU64("a", 1), 1u);
  EXPECT_EQ(c.GetU64("b", 2), 2u);
  EXPECT_EQ(c.GetU64("c", 3), 3u);  // overflow
  EXPECT_EQ(c.GetU64("d", 4), 4u);
}

TEST(Cmdline, NullAndOverlongInput) {
  Cmdline empty(nullptr);
  EXPECT_FALSE(empty.Has("x"));
  std::string longline(5000, 'a');
  longline += " key=1";
  Cmdline c(longline.c_str());
  EXPECT_FALSE(c.Has("key"));  // beyond the 1 KiB bound: never read
}

TEST(Format, Conversions) {
  char buf[128];
  Format(buf, sizeof(buf), "%d %u %x %X %05d %s %c %lx %%", -42, 42u, 0xbeefu, 0xbeefu, 7, "str",
         'z', u64{0x123456789abc});
  EXPECT_STREQ(buf, "-42 42 beef BEEF 00007 str z 123456789abc %");
}

TEST(Format, TruncatesSafely) {
  char buf[8];
  usize n = Format(buf, sizeof(buf), "%s", "0123456789");
  EXPECT_EQ(n, 10u);
  EXPECT_STREQ(buf, "0123456");
  Format(buf, sizeof(buf), "%s", static_cast<const char*>(nullptr));
  EXPECT_STREQ(buf, "(null)");
}

TEST(Format, MostNegative) {
  char buf[32];
  Format(buf, sizeof(buf), "%ld", static_cast<long>(-9223372036854775807L - 1));
  EXPECT_STREQ(buf, "-9223372036854775808");
}

}  // namespace
}  // namespace pv
