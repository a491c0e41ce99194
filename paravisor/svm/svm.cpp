#include "svm/svm.h"

#include "arch/cpu.h"
#include "lib/log.h"
#include "mm/page_alloc.h"

namespace pv::svm {
namespace {

constexpr u32 kMsrVmCr = 0xc0010114;
constexpr u64 kVmCrSvmDis = 1ull << 4;
constexpr u32 kMsrHsavePa = 0xc0010117;

}  // namespace

Result<Capabilities> EnableSvm(HostState* host) {
  if (arch::Cpuid(0x80000000).eax < 0x8000000a || (arch::Cpuid(0x80000001).ecx & (1u << 2)) == 0) {
    return Status(Err::kUnsupported, "svm: CPU has no SVM (QEMU: -cpu qemu64,+svm,+npt)");
  }
  if (arch::Rdmsr(kMsrVmCr) & kVmCrSvmDis) {
    return Status(Err::kUnsupported, "svm: disabled by firmware (VM_CR.SVMDIS)");
  }
  const arch::CpuidRegs features = arch::Cpuid(0x8000000a);
  Capabilities caps;
  caps.revision = features.eax & 0xff;
  caps.asid_count = features.ebx;
  caps.nested_paging = features.edx & (1u << 0);
  caps.nrip_save = features.edx & (1u << 3);
  caps.flush_by_asid = features.edx & (1u << 6);
  if (!caps.nested_paging) {
    return Status(Err::kUnsupported, "svm: no nested paging (QEMU: -cpu qemu64,+svm,+npt)");
  }
  if (caps.asid_count < 2) return Status(Err::kUnsupported, "svm: fewer than 2 ASIDs");

  arch::Wrmsr(arch::kMsrEfer, arch::Rdmsr(arch::kMsrEfer) | arch::kEferSvme);
  PV_TRY_ASSIGN(host->hsave_pa, mm::AllocPages(1));
  arch::Wrmsr(kMsrHsavePa, host->hsave_pa);
  // The host's VMLOAD/VMSAVE state never changes after boot, so it is saved once here and
  // reloaded after every #VMEXIT by the world-switch code.
  PV_TRY_ASSIGN(host->vmsave_area_pa, mm::AllocPages(1));
  asm volatile("vmsave %%rax" ::"a"(host->vmsave_area_pa) : "memory");
  return caps;
}

}  // namespace pv::svm
