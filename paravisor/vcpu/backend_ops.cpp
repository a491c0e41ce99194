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

// FillRegisters for Vcpu::Fetch's inline-asm call: RDI = @vcpu, ESI = the missing registers.
// Saves every caller-saved GPR (the asm declares no clobbers but the flags), aligns the stack for
// the call, restores. Naked: the body is the whole function.
extern "C" [[gnu::naked]] void pv_fill_registers_preserving() {
  asm("push %%rbp\n\t"
      "mov %%rsp, %%rbp\n\t"
      "push %%rax\n\t"
      "push %%rcx\n\t"
      "push %%rdx\n\t"
      "push %%rsi\n\t"
      "push %%rdi\n\t"
      "push %%r8\n\t"
      "push %%r9\n\t"
      "push %%r10\n\t"
      "push %%r11\n\t"
      "and $-16, %%rsp\n\t"
      "call %P0\n\t"
      "lea -72(%%rbp), %%rsp\n\t"
      "pop %%r11\n\t"
      "pop %%r10\n\t"
      "pop %%r9\n\t"
      "pop %%r8\n\t"
      "pop %%rdi\n\t"
      "pop %%rsi\n\t"
      "pop %%rdx\n\t"
      "pop %%rcx\n\t"
      "pop %%rax\n\t"
      "pop %%rbp\n\t"
      "ret"
      :
      : "i"(&FillRegisters));
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
