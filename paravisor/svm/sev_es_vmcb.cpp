// The portable half of the SEV-ES backend (svm/sev_es.h): CPUID decoding and the VMCB of an
// SEV-ES guest. Host tests build it too.
#include "svm/sev_es.h"

namespace pv::svm {
namespace {

constexpr u32 kLeafEncryption = 0x8000001f;

}  // namespace

SevEsCapabilities DecodeSevEsCpuid(u32 max_extended_leaf, u32 eax, u32 ebx, u32 ecx, u32 edx) {
  SevEsCapabilities caps;
  if (max_extended_leaf < kLeafEncryption) return caps;
  caps.sev = eax & (1u << 1);
  caps.sev_es = caps.sev && (eax & (1u << 3));
  caps.sev_snp = caps.sev_es && (eax & (1u << 4));
  caps.c_bit = ebx & 0x3f;
  caps.max_guests = ecx;
  caps.min_sev_asid = edx;
  return caps;
}

Status ConfigureSevEsVmcb(VmcbControl& control, const SevEsCapabilities& caps, u64 vmsa_pa,
                          u64 ghcb_gpa, u32 asid) {
  if (!caps.sev_es) return Status(Err::kUnsupported, "sev-es: the CPU has no SEV-ES");
  if (vmsa_pa == 0 || (vmsa_pa & 0xfff) != 0) {
    return Status(Err::kInvalidArgument, "sev-es: VMSA must be a page-aligned, non-zero address");
  }
  if (asid == 0 || asid >= caps.min_sev_asid) {
    return Status(Err::kInvalidArgument, "sev-es: ASID outside 1..min_sev_asid-1");
  }
  control.np_enable |= kNpEnableNestedPaging | kNpEnableSev | kNpEnableSevEs;
  control.vmsa_pa = vmsa_pa;
  control.ghcb_pa = ghcb_gpa;
  control.guest_asid = asid;
  return Status::Ok();
}

}  // namespace pv::svm
