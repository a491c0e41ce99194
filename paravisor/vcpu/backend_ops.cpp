#include "vcpu/backend_ops.h"

#include "svm/svm_vcpu.h"
#include "vmx/vmx_vcpu.h"

namespace pv {

void FillRegisters(Vcpu& vcpu, RegMask missing) {
  switch (vcpu.backend) {
    case Backend::kSvm:
      return svm::ReadGuestRegisters(vcpu, missing);
    case Backend::kVmx:
      return vmx::ReadGuestRegisters(vcpu, missing);
  }
}

void LoadEntryRegisters(Vcpu& vcpu, const GuestEntryState& entry, u64 efer) {
  vcpu.run.gprs[kRdi] = entry.rdi;
  vcpu.run.gprs[kRsi] = entry.rsi;
  vcpu.run.gprs[kRsp] = entry.rsp;
  vcpu.regs = RegisterCache{};
  vcpu.Provide(Reg::kRip, entry.rip);
  vcpu.Provide(Reg::kRflags, 0x2);
  vcpu.Provide(Reg::kCr0, entry.cr0);
  vcpu.Provide(Reg::kCr3, entry.cr3);
  vcpu.Provide(Reg::kCr4, entry.cr4);
  vcpu.Provide(Reg::kEfer, efer);
  vcpu.Provide(Reg::kPat, entry.pat);
  vcpu.Provide(Reg::kCpl, 0);
}

void SetMsrInterception(Vcpu& vcpu, u32 msr, bool read, bool write) {
  switch (vcpu.backend) {
    case Backend::kSvm:
      svm::SetMsrIntercept(*static_cast<svm::SvmVcpu*>(vcpu.backend_state), msr, read, write);
      break;
    case Backend::kVmx:
      vmx::SetMsrIntercept(*static_cast<vmx::VmxVcpu*>(vcpu.backend_state), msr, read, write);
      break;
  }
}

void InterceptRdtsc(Vcpu& vcpu) {
  switch (vcpu.backend) {
    case Backend::kSvm:
      static_cast<svm::SvmVcpu*>(vcpu.backend_state)->vmcb->control.intercept_misc1 |=
          svm::intercept::kRdtsc;
      break;
    case Backend::kVmx:
      vmx::InterceptRdtsc(*static_cast<vmx::VmxVcpu*>(vcpu.backend_state));
      break;
  }
}

u64 BareRoundTrips(Vcpu& vcpu, u64 rip, u64 count) {
  switch (vcpu.backend) {
    case Backend::kSvm:
      return svm::BareRoundTrips(vcpu, rip, count);
    case Backend::kVmx:
      return vmx::BareRoundTrips(vcpu, rip, count);
  }
  return 0;
}

}  // namespace pv
