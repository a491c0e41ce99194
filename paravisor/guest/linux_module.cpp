#include "guest/linux_module.h"

namespace pv::linux_boot {
namespace {

constexpr char kSeparator[] = " -- ";
constexpr usize kSeparatorLen = sizeof(kSeparator) - 1;

}  // namespace

void SplitModuleString(const char* module_string, ModuleString* out) {
  const char* s = module_string != nullptr ? module_string : "";
  usize i = 0;
  for (; s[i] != '\0'; ++i) {
    usize k = 0;
    while (k < kSeparatorLen && s[i + k] == kSeparator[k]) ++k;  // stops at the NUL
    if (k == kSeparatorLen) {
      out->kernel_cmdline = s + i + kSeparatorLen;
      break;
    }
  }
  const usize n = i < Cmdline::kMaxLen ? i : Cmdline::kMaxLen;
  for (usize j = 0; j < n; ++j) out->options[j] = s[j];
  out->options[n] = '\0';
}

bool IsDataModule(const Cmdline& options) {
  StrView role;
  return options.Get("role", &role) && role.Equals("initrd");
}

Result<LinuxBootInputs> LinuxInputsFromModules(const boot::BootInfo& boot, usize self,
                                               const Cmdline& options, const char* kernel_cmdline,
                                               const u8* (*phys_to_virt)(u64 pa)) {
  if (self >= boot.module_count) return Status(Err::kOutOfRange, "linux: no such module");
  const boot::Module& kernel = boot.modules[self];
  LinuxBootInputs in;
  in.image = phys_to_virt(kernel.start);
  in.image_size = kernel.end - kernel.start;
  in.cmdline = kernel_cmdline != nullptr ? kernel_cmdline : "";
  StrView initrd_arg;
  if (!options.Get("initrd", &initrd_arg)) return in;  // a kernel without an initrd
  u64 index = 0;
  if (!ParseU64(initrd_arg, &index)) {
    return Status(Err::kInvalidArgument, "linux: initrd= is not a module index");
  }
  if (index >= boot.module_count || index == self) {
    return Status(Err::kOutOfRange, "linux: initrd= names no other module");
  }
  const boot::Module& initrd = boot.modules[index];
  if (!IsDataModule(Cmdline(initrd.cmdline))) {
    return Status(Err::kInvalidArgument, "linux: the initrd= module is not marked role=initrd");
  }
  in.initrd = phys_to_virt(initrd.start);
  in.initrd_size = initrd.end - initrd.start;
  return in;
}

}  // namespace pv::linux_boot
