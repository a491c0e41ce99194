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

Result<const boot::Module*> FindInitrdModule(const boot::BootInfo& boot, usize self,
                                             const Cmdline& options) {
  StrView initrd_arg;
  if (!options.Get("initrd", &initrd_arg)) return static_cast<const boot::Module*>(nullptr);
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
  return &initrd;
}

}  // namespace pv::linux_boot
