// Reporters behind the VMREAD/VMWRITE failure trampolines (vmx/vmcs.h, entry/vmx_run.asm).
#include "lib/log.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_exit.h"

namespace pv::vmx {
namespace {

u64 g_failures = 0;

// The error number, read without the wrapper so a failing VMREAD here cannot recurse.
u64 LastInstructionError() {
  u64 value = 0;
  u8 failed;
  asm volatile("vmread %[field], %[value]\n\tsetna %[failed]"
               : [value] "=r"(value), [failed] "=qm"(failed)
               : [field] "r"(u64{field::kVmInstructionError})
               : "cc");
  return failed ? ~0ull : value;
}

}  // namespace

u64 VmcsAccessFailures() {
  return g_failures;
}

}  // namespace pv::vmx

extern "C" void pv_vmx_vmread_error(pv::u64 field) {
  using namespace pv::vmx;
  ++g_failures;
  const pv::u64 error = LastInstructionError();
  pv::Log("vmx: VMREAD of field 0x%lx failed: VM-instruction error %ld (%s)", field,
          static_cast<long>(error), VmInstructionErrorName(error));
}

extern "C" void pv_vmx_vmwrite_error(pv::u64 field, pv::u64 value) {
  using namespace pv::vmx;
  ++g_failures;
  const pv::u64 error = LastInstructionError();
  pv::Log("vmx: VMWRITE of 0x%lx to field 0x%lx failed: VM-instruction error %ld (%s)", value,
          field, static_cast<long>(error), VmInstructionErrorName(error));
}
