#include "vmx/vmx_exit.h"

namespace pv::vmx {

Exit VmFailExit(int fail_kind, u64 vm_instruction_error) {
  Exit e;
  e.reason = ExitReason::kEntryFailure;
  e.raw_code = vm_instruction_error;
  e.raw_info1 = static_cast<u64>(fail_kind);
  return e;
}

const char* VmInstructionErrorName(u64 error) {
  switch (error) {
    case 0:
      return "none recorded (VMfailInvalid: no current VMCS)";
    case 4:
      return "VMLAUNCH with non-clear VMCS";
    case 5:
      return "VMRESUME with non-launched VMCS";
    case 7:
      return "VM entry with invalid control field(s)";
    case 8:
      return "VM entry with invalid host-state field(s)";
    case 12:
      return "VMREAD/VMWRITE of an unsupported VMCS component";
    case 13:
      return "VMWRITE to a read-only VMCS component";
    case 26:
      return "VM entry with events blocked by MOV SS";
    default:
      return "see SDM vol. 3, 31.4";
  }
}

}  // namespace pv::vmx
