// The module-string convention for Linux guests: options before " -- ", the kernel's command
// line after it, and the initrd module found by index and checked.
#include <gtest/gtest.h>

#include <string>

#include "guest/linux_module.h"

namespace pv::linux_boot {
namespace {

TEST(LinuxModuleTest, SplitsOptionsFromTheKernelCommandLine) {
  ModuleString m;
  SplitModuleString("vmlinuz linux initrd=1 expect=exit0 -- console=ttyS0 expect=x a -- b", &m);
  EXPECT_STREQ(m.options, "vmlinuz linux initrd=1 expect=exit0");
  EXPECT_STREQ(m.kernel_cmdline, "console=ttyS0 expect=x a -- b");
  const Cmdline options(m.options);
  StrView expect;
  ASSERT_TRUE(options.Get("expect", &expect));
  EXPECT_TRUE(expect.Equals("exit0"));  // the kernel's expect=x is not the paravisor's

  ModuleString plain;
  SplitModuleString("hello.bin test=gpr", &plain);
  EXPECT_STREQ(plain.options, "hello.bin test=gpr");
  EXPECT_STREQ(plain.kernel_cmdline, "");
  ModuleString none;
  SplitModuleString(nullptr, &none);
  EXPECT_STREQ(none.options, "");

  const std::string longer(3000, 'a');  // options are capped at Cmdline::kMaxLen
  ModuleString capped;
  SplitModuleString((longer + " -- quiet").c_str(), &capped);
  EXPECT_EQ(std::string(capped.options).size(), Cmdline::kMaxLen);
  EXPECT_STREQ(capped.kernel_cmdline, "quiet");
}

TEST(LinuxModuleTest, FindsAndChecksTheInitrdModule) {
  static const u8 kernel[16] = {}, cpio[32] = {};
  boot::BootInfo boot;
  boot.module_count = 3;
  boot.modules[0] = {reinterpret_cast<u64>(kernel), reinterpret_cast<u64>(kernel) + 16,
                     "vmlinuz linux initrd=1"};
  boot.modules[1] = {reinterpret_cast<u64>(cpio), reinterpret_cast<u64>(cpio) + 32,
                     "initramfs.cpio role=initrd"};
  boot.modules[2] = {reinterpret_cast<u64>(cpio), reinterpret_cast<u64>(cpio) + 32, "hello.bin"};
  EXPECT_TRUE(IsDataModule(Cmdline(boot.modules[1].cmdline)));
  EXPECT_FALSE(IsDataModule(Cmdline(boot.modules[2].cmdline)));

  auto found = FindInitrdModule(boot, 0, Cmdline("vmlinuz linux initrd=1"));
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found.value(), &boot.modules[1]);
  auto none = FindInitrdModule(boot, 0, Cmdline("vmlinuz linux"));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value(), nullptr);

  const struct {
    const char* options;
    const char* error;
  } bad[] = {
      {"vmlinuz linux initrd=one", "linux: initrd= is not a module index"},
      {"vmlinuz linux initrd=7", "linux: initrd= names no other module"},
      {"vmlinuz linux initrd=0", "linux: initrd= names no other module"},
      {"vmlinuz linux initrd=2", "linux: the initrd= module is not marked role=initrd"},
  };
  for (const auto& b : bad) {
    auto r = FindInitrdModule(boot, 0, Cmdline(b.options));
    ASSERT_FALSE(r.ok()) << b.options;
    EXPECT_STREQ(r.status().message(), b.error);
  }
}

}  // namespace
}  // namespace pv::linux_boot
