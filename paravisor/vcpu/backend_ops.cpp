#include "vcpu/backend_ops.h"

#include "svm/svm_vcpu.h"
#include "vmx/vmx_vcpu.h"

namespace pv {

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
