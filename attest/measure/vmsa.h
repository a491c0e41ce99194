// SEV-ES/SNP VMSA page (the encrypted vCPU save area; AMD APM Vol. 2, table "VMSA layout", the
// SEV-ES save area): the initial vCPU state a launch measures as a page of type VMSA. Only
// the fields a launch sets are modelled; every other byte of the page is zero.
#ifndef PV_ATTEST_MEASURE_VMSA_H_
#define PV_ATTEST_MEASURE_VMSA_H_

#include <array>
#include <cstdint>

#include "attest/measure/snp_launch_digest.h"

namespace pv::attest::measure {

struct VmsaSegment {
  uint16_t selector = 0;
  uint16_t attrib = 0;
  uint32_t limit = 0;
  uint64_t base = 0;
};

struct VmsaState {
  VmsaSegment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
  uint64_t efer = 0, cr4 = 0, cr3 = 0, cr0 = 0, dr7 = 0, dr6 = 0, rflags = 0, rip = 0;
  uint64_t rsp = 0, rax = 0, rbx = 0, rcx = 0, rdx = 0, rsi = 0, rdi = 0, rbp = 0;
  uint64_t g_pat = 0, sev_features = 0, xcr0 = 0;
  uint32_t mxcsr = 0;
  uint16_t x87_fcw = 0;
};

using VmsaPage = std::array<uint8_t, kPageSize>;
VmsaPage EncodeVmsa(const VmsaState& state);

// Which hypervisor's reset state (they differ in a few attributes and defaults).
enum class VmmType { kQemu, kEc2, kGce };

// The x86 reset state (real mode, CS base = EIP & 0xFFFF0000, RIP = EIP & 0xFFFF) as each VMM
// writes it into the VMSA of a vCPU that starts at `eip`.
VmsaState ResetVmsaState(uint32_t eip, uint64_t sev_features, uint64_t vcpu_sig, VmmType vmm);

// The state QEMU gives an SVSM's vCPUs (32-bit flat protected mode at `rip`). The x87 FCW stays
// 0: hardware-read reference values were produced that way.
VmsaState SvsmVmsaState(uint64_t rip, uint64_t vcpu_sig);

// CPUID Fn0000_0001 EAX from family/model/stepping, as QEMU reports it.
uint32_t CpuSignature(uint32_t family, uint32_t model, uint32_t stepping);

}  // namespace pv::attest::measure

#endif  // PV_ATTEST_MEASURE_VMSA_H_
