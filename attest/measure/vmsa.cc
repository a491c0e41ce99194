#include "attest/measure/vmsa.h"

#include <cstring>

namespace pv::attest::measure {
namespace {

// Save-area offsets (AMD APM Vol. 2, VMSA layout; Linux struct sev_es_save_area).
constexpr size_t kEs = 0x000, kCs = 0x010, kSs = 0x020, kDs = 0x030, kFs = 0x040, kGs = 0x050,
                 kGdtr = 0x060, kLdtr = 0x070, kIdtr = 0x080, kTr = 0x090;
constexpr size_t kEfer = 0x0D0, kCr4 = 0x148, kCr3 = 0x150, kCr0 = 0x158, kDr7 = 0x160,
                 kDr6 = 0x168, kRflags = 0x170, kRip = 0x178, kRsp = 0x1D8, kRax = 0x1F8,
                 kGPat = 0x268, kRcx = 0x308, kRdx = 0x310, kRbx = 0x318, kRbp = 0x328,
                 kRsi = 0x330, kRdi = 0x338, kSevFeatures = 0x3B0, kXcr0 = 0x3E8, kMxcsr = 0x408,
                 kX87Fcw = 0x410;

void Put(VmsaPage& p, size_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) p[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

void PutSegment(VmsaPage& p, size_t off, const VmsaSegment& s) {
  Put(p, off, s.selector, 2);
  Put(p, off + 2, s.attrib, 2);
  Put(p, off + 4, s.limit, 4);
  Put(p, off + 8, s.base, 8);
}

}  // namespace

VmsaPage EncodeVmsa(const VmsaState& s) {
  VmsaPage p{};
  PutSegment(p, kEs, s.es);
  PutSegment(p, kCs, s.cs);
  PutSegment(p, kSs, s.ss);
  PutSegment(p, kDs, s.ds);
  PutSegment(p, kFs, s.fs);
  PutSegment(p, kGs, s.gs);
  PutSegment(p, kGdtr, s.gdtr);
  PutSegment(p, kLdtr, s.ldtr);
  PutSegment(p, kIdtr, s.idtr);
  PutSegment(p, kTr, s.tr);
  Put(p, kEfer, s.efer, 8);
  Put(p, kCr4, s.cr4, 8);
  Put(p, kCr3, s.cr3, 8);
  Put(p, kCr0, s.cr0, 8);
  Put(p, kDr7, s.dr7, 8);
  Put(p, kDr6, s.dr6, 8);
  Put(p, kRflags, s.rflags, 8);
  Put(p, kRip, s.rip, 8);
  Put(p, kRsp, s.rsp, 8);
  Put(p, kRax, s.rax, 8);
  Put(p, kGPat, s.g_pat, 8);
  Put(p, kRcx, s.rcx, 8);
  Put(p, kRdx, s.rdx, 8);
  Put(p, kRbx, s.rbx, 8);
  Put(p, kRbp, s.rbp, 8);
  Put(p, kRsi, s.rsi, 8);
  Put(p, kRdi, s.rdi, 8);
  Put(p, kSevFeatures, s.sev_features, 8);
  Put(p, kXcr0, s.xcr0, 8);
  Put(p, kMxcsr, s.mxcsr, 4);
  Put(p, kX87Fcw, s.x87_fcw, 2);
  return p;
}

namespace {
// Architectural defaults shared by every initial state (power-on values, plus the bits KVM
// sets: EFER.SVME, CR4.MCE).
VmsaState CommonState() {
  VmsaState s;
  s.gdtr = {0, 0, 0xFFFF, 0};
  s.idtr = {0, 0, 0xFFFF, 0};
  s.ldtr = {0, 0x82, 0xFFFF, 0};
  s.efer = 0x1000;
  s.cr4 = 0x40;
  s.dr7 = 0x400;
  s.dr6 = 0xFFFF0FF0;
  s.rflags = 0x2;
  s.g_pat = 0x0007040600070406;
  s.xcr0 = 0x1;
  return s;
}
}  // namespace

VmsaState ResetVmsaState(uint32_t eip, uint64_t sev_features, uint64_t vcpu_sig, VmmType vmm) {
  VmsaState s = CommonState();
  uint16_t cs_attr = 0x9B, ss_attr = 0x93, tr_attr = 0x8B;
  s.rdx = vcpu_sig;
  s.mxcsr = 0x1F80;
  s.x87_fcw = 0x37F;
  if (vmm == VmmType::kEc2) {
    // EC2 marks the BSP's code segment not-accessed, SS/TR differently, and does not load the
    // FPU defaults or the CPU signature.
    if (eip == 0xFFFFFFF0) cs_attr = 0x9A;
    ss_attr = 0x92;
    tr_attr = 0x83;
    s.rdx = 0x600;
    s.mxcsr = 0;
    s.x87_fcw = 0;
  } else if (vmm == VmmType::kGce) {
    s.g_pat = 0x00070106;  // GCE's hypervisor overwrites the default PAT
    s.rdx = 0x600;
    s.mxcsr = 0;
    s.x87_fcw = 0;
  }
  s.es = {0, 0x93, 0xFFFF, 0};
  s.cs = {0xF000, cs_attr, 0xFFFF, eip & 0xFFFF0000u};
  s.ss = {0, ss_attr, 0xFFFF, 0};
  s.ds = s.fs = s.gs = {0, 0x93, 0xFFFF, 0};
  s.tr = {0, tr_attr, 0xFFFF, 0};
  s.cr0 = 0x10;
  s.rip = eip & 0xFFFF;
  s.sev_features = sev_features;
  return s;
}

VmsaState SvsmVmsaState(uint64_t rip, uint64_t vcpu_sig) {
  VmsaState s = CommonState();
  s.es = s.ss = s.ds = s.fs = {16, 0xC93, 0xFFFFFFFF, 0};
  s.cs = {8, 0xC9B, 0xFFFFFFFF, 0};
  s.gs = {0, 0x093, 0xFFFF, 0};
  s.tr = {0, 0x8B, 0xFFFF, 0};
  s.cr0 = 0x11;
  s.rip = rip;
  s.rdx = vcpu_sig;
  s.sev_features = 0x1;
  s.mxcsr = 0x1F80;
  s.x87_fcw = 0;
  return s;
}

uint32_t CpuSignature(uint32_t family, uint32_t model, uint32_t stepping) {
  uint32_t family_low = family > 0xF ? 0xF : family;
  uint32_t family_high = family > 0xF ? (family - 0xF) & 0xFF : 0;
  uint32_t model_low = model & 0xF, model_high = (model >> 4) & 0xF;
  return (family_high << 20) | (model_high << 16) | (family_low << 8) | (model_low << 4) |
         (stepping & 0xF);
}

}  // namespace pv::attest::measure
