// Control-register accesses that exit (VMX: MOV to CR0/CR4 touching a bit of the guest/host
// masks, LMSW). The write is checked against the CR policy; a legal one goes into the register
// cache (vcpu.set_reg), and the backend loads it before the next entry (the guest's value in the
// read shadow, the hardware value with the bits VMX forces); an illegal one raises #GP as the
// CPU would.
#include "exits/cr_policy.h"
#include "exits/handlers.h"

namespace pv {
namespace {

constexpr u64 kLmswBits = 0xf;  // PE, MP, EM, TS

ExitAction InjectGp(Vcpu& vcpu) {
  vcpu.InjectException(kVectorGp, true, 0);
  return ExitAction::kResumeSame;
}

ExitAction WriteCr(Vcpu& vcpu, u8 cr, u64 value) {
  const GuestPaging p = vcpu.paging();
  const CrContext ctx{p.cr0, p.cr3, p.cr4, p.efer, vcpu.cr.cr4_supported};
  const bool allowed = cr == 0 ? Cr0WriteAllowed(ctx, value) : Cr4WriteAllowed(ctx, value);
  if (!allowed) return InjectGp(vcpu);
  vcpu.set_reg(cr == 0 ? Reg::kCr0 : Reg::kCr4, value);
  return ExitAction::kResumeNext;
}

}  // namespace

ExitAction HandleCrAccess(Vcpu& vcpu, const Exit& exit) {
  const CrExit& c = exit.cr;
  if (vcpu.cpl() != 0) return InjectGp(vcpu);  // the CPU checks this first; kept for safety
  if (c.cr == 8 && c.type == CrAccessType::kMovToCr) {
    // The task priority, held here: the guest has no interrupt sources it could mask yet, and
    // the physical TPR must stay the paravisor's (its timer tick).
    const u64 value = vcpu.gpr(static_cast<Gpr>(c.gpr & 15));
    if ((value >> 4) != 0) return InjectGp(vcpu);
    vcpu.cr.cr8 = value;
    return ExitAction::kResumeNext;
  }
  if (c.cr == 8 && c.type == CrAccessType::kMovFromCr) {
    vcpu.set_gpr(static_cast<Gpr>(c.gpr & 15), vcpu.cr.cr8);
    return ExitAction::kResumeNext;
  }
  switch (c.type) {
    case CrAccessType::kMovToCr:
      if (c.cr != 0 && c.cr != 4) break;
      return WriteCr(vcpu, c.cr, vcpu.gpr(static_cast<Gpr>(c.gpr & 15)));
    case CrAccessType::kLmsw: {
      // LMSW loads CR0[3:0] but cannot clear PE.
      const u64 cr0 = vcpu.cr0();
      const u64 value = (cr0 & ~kLmswBits) | (c.lmsw_data & kLmswBits) | (cr0 & 1);
      return WriteCr(vcpu, 0, value);
    }
    case CrAccessType::kClts:
      return WriteCr(vcpu, 0, vcpu.cr0() & ~(1ull << 3));
    case CrAccessType::kMovFromCr:
      break;
  }
  // CR3 accesses and CR0/CR4 reads are not configured to exit.
  return HandleUnknownExit(vcpu, exit);
}

}  // namespace pv
