// While the paravisor serves an encrypted-state guest's GHCB or GHCI request with the ordinary
// exit handlers, those handlers must see only what the guest put into the request. This scoped
// view sets the register file aside (the emulated platform still holds the guest's real
// registers there; hardware would not let the paravisor see them), presents all-zero registers
// plus the request's inputs, and restores the real ones when it ends. The handlers' outputs are
// read from the view before it ends. The CPL and any pending exception are set aside the same
// way: an exception a handler raises becomes the protocol's answer, not an injection.
#ifndef PV_VCPU_PROTOCOL_REGISTERS_H_
#define PV_VCPU_PROTOCOL_REGISTERS_H_

#include "vcpu/vcpu.h"

namespace pv {

class ProtocolRegisterView {
 public:
  explicit ProtocolRegisterView(Vcpu& vcpu) : vcpu_(vcpu) {
    for (usize i = 0; i < kGprCount; ++i) {
      saved_[i] = vcpu.run.gprs[i];
      vcpu.run.gprs[i] = 0;
    }
    saved_cpl_ = vcpu.cpl;
    saved_pending_ = vcpu.pending;
    vcpu.pending = {};
  }
  ~ProtocolRegisterView() {
    for (usize i = 0; i < kGprCount; ++i) vcpu_.run.gprs[i] = saved_[i];
    vcpu_.cpl = saved_cpl_;
    vcpu_.pending = saved_pending_;
  }
  ProtocolRegisterView(const ProtocolRegisterView&) = delete;
  ProtocolRegisterView& operator=(const ProtocolRegisterView&) = delete;

  // The exception a handler raised while the view was active, if any (consumed).
  bool TakeException(PendingException* out) {
    if (!vcpu_.pending.valid) return false;
    *out = vcpu_.pending;
    vcpu_.pending = {};
    return true;
  }

 private:
  Vcpu& vcpu_;
  u64 saved_[kGprCount];
  u8 saved_cpl_;
  PendingException saved_pending_;
};

}  // namespace pv

#endif  // PV_VCPU_PROTOCOL_REGISTERS_H_
