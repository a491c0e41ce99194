// While the paravisor serves an encrypted-state guest's GHCB or GHCI request with the ordinary
// exit handlers, those handlers must see only what the guest put into the request. This scoped
// view replaces the register cache (vcpu/registers.h) with one in which every register is
// "available" with value 0 — so no handler access can reach the backend's FillRegisters, i.e.
// the guest's real state — except the request's inputs, which the caller sets, and what the
// platform itself holds (RIP, for reports; CR0/CR3/CR4/EFER, which SEV-ES traps and the TDX
// module reports; PAT, an MSR the paravisor emulates). The handlers' outputs are read from the
// view; when it ends the real cache, GPRs and pending event come back, so no register a handler
// wrote reaches the guest — except EFER and PAT, the MSRs a GHCB/GHCI WRMSR asked to change.
// An exception a handler raises becomes the protocol's answer, not an injection.
#ifndef PV_VCPU_PROTOCOL_REGISTERS_H_
#define PV_VCPU_PROTOCOL_REGISTERS_H_

#include "vcpu/vcpu.h"

namespace pv {

class ProtocolRegisterView {
 public:
  explicit ProtocolRegisterView(Vcpu& vcpu) : vcpu_(vcpu) {
    const u64 rip = vcpu.rip();
    const GuestPaging paging = vcpu.paging();
    const u64 pat = vcpu.pat();
    for (usize i = 0; i < kGprCount; ++i) {
      saved_gprs_[i] = vcpu.run.gprs[i];
      vcpu.run.gprs[i] = 0;
    }
    saved_regs_ = vcpu.regs;
    saved_pending_ = vcpu.pending;
    vcpu.pending = {};
    vcpu.regs = RegisterCache{};  // everything available, all zero
    vcpu.regs.value(Reg::kRip) = rip;
    vcpu.regs.value(Reg::kCr0) = paging.cr0;
    vcpu.regs.value(Reg::kCr3) = paging.cr3;
    vcpu.regs.value(Reg::kCr4) = paging.cr4;
    vcpu.regs.value(Reg::kEfer) = paging.efer;
    vcpu.regs.value(Reg::kPat) = pat;
  }
  ~ProtocolRegisterView() {
    const bool efer_written = vcpu_.dirty(Reg::kEfer);
    const bool pat_written = vcpu_.dirty(Reg::kPat);
    const u64 efer = vcpu_.regs.value(Reg::kEfer);
    const u64 pat = vcpu_.regs.value(Reg::kPat);
    for (usize i = 0; i < kGprCount; ++i) vcpu_.run.gprs[i] = saved_gprs_[i];
    vcpu_.regs = saved_regs_;
    vcpu_.pending = saved_pending_;
    if (efer_written) vcpu_.set_efer(efer);
    if (pat_written) vcpu_.set_pat(pat);
  }
  ProtocolRegisterView(const ProtocolRegisterView&) = delete;
  ProtocolRegisterView& operator=(const ProtocolRegisterView&) = delete;

  // An input of the request.
  void Set(Gpr r, u64 value) { vcpu_.run.gprs[r] = value; }
  void SetCpl(u8 cpl) { vcpu_.regs.value(Reg::kCpl) = cpl; }
  // An output the handler left (or 0).
  u64 Get(Gpr r) const { return vcpu_.run.gprs[r]; }

  // The exception a handler raised while the view was active, if any (consumed).
  bool TakeException(PendingException* out) {
    if (!vcpu_.pending.valid) return false;
    *out = vcpu_.pending;
    vcpu_.pending = {};
    return true;
  }
  bool ExceptionPending() const { return vcpu_.pending.valid; }

 private:
  Vcpu& vcpu_;
  u64 saved_gprs_[kGprCount];
  RegisterCache saved_regs_;
  PendingException saved_pending_;
};

}  // namespace pv

#endif  // PV_VCPU_PROTOCOL_REGISTERS_H_
