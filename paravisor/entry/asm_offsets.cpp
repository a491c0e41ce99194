// Exports C++ layouts and ABI constants to NASM. This file is compiled to assembly only (-S);
// entry/gen_asm_offsets.py turns each "@@PVDEF name value" marker into "%define name value" in
// pv_asm_offsets.inc. The assembly therefore never carries a hand-copied offset: a layout change
// regenerates the include, and the static_asserts below pin what the assembly assumes about
// the layout's shape.
#include <stddef.h>

#include "guest/abi.h"
#include "svm/sev_es_save_area.h"
#include "tdx/tdx_abi.h"
#include "testing/test_abi.h"
#include "vcpu/run_state.h"
#include "vcpu/vcpu.h"
#include "vmx/vmcs.h"

// "%0" prints the immediate in AT&T syntax ("$123", which gen_asm_offsets.py accepts) with
// both compilers; "%c0" would drop the "$" but GCC rejects it for constants that are not valid
// 32-bit addresses ("operand is not a condition code").
#define PV_DEFINE(name, value) asm volatile("\n.ascii \"@@PVDEF " #name " %0\\n\"" ::"i"(value))
#define PV_RUN_OFFSET(name, member) PV_DEFINE(RUN_##name, offsetof(pv::VcpuRunState, member))
#define PV_TDX_EXIT_OFFSET(reg) PV_DEFINE(TDX_EXIT_##reg, offsetof(pv::tdx::TdxExitRecord, reg))

namespace {

using pv::VcpuRunState;

// The world-switch code addresses VcpuRunState through the Vcpu pointer it is given.
static_assert(offsetof(pv::Vcpu, run) == 0, "Vcpu::run must be the first member");
static_assert(offsetof(VcpuRunState, gprs) == 0 && sizeof(VcpuRunState::gprs) == 16 * 8);
static_assert(sizeof(VcpuRunState::spec_ctrl_present) == 1 &&
                  sizeof(VcpuRunState::spec_ctrl_intercepted) == 1 &&
                  sizeof(VcpuRunState::launched) == 1,
              "the assembly uses byte compares");
// The SEV-ES switch stores exactly the registers #VMEXIT reloads from these slots.
static_assert(offsetof(pv::svm::SevEsSaveArea, gprs) == 0x300,
              "APM: the host save area's GPR block starts at 0x300");

}  // namespace

extern "C" void pv_asm_offsets() {
  PV_RUN_OFFSET(rax, gprs[pv::kRax]);
  PV_RUN_OFFSET(rcx, gprs[pv::kRcx]);
  PV_RUN_OFFSET(rdx, gprs[pv::kRdx]);
  PV_RUN_OFFSET(rbx, gprs[pv::kRbx]);
  PV_RUN_OFFSET(rsp, gprs[pv::kRsp]);
  PV_RUN_OFFSET(rbp, gprs[pv::kRbp]);
  PV_RUN_OFFSET(rsi, gprs[pv::kRsi]);
  PV_RUN_OFFSET(rdi, gprs[pv::kRdi]);
  PV_RUN_OFFSET(r8, gprs[pv::kR8]);
  PV_RUN_OFFSET(r9, gprs[pv::kR9]);
  PV_RUN_OFFSET(r10, gprs[pv::kR10]);
  PV_RUN_OFFSET(r11, gprs[pv::kR11]);
  PV_RUN_OFFSET(r12, gprs[pv::kR12]);
  PV_RUN_OFFSET(r13, gprs[pv::kR13]);
  PV_RUN_OFFSET(r14, gprs[pv::kR14]);
  PV_RUN_OFFSET(r15, gprs[pv::kR15]);
  PV_RUN_OFFSET(guest_spec_ctrl, guest_spec_ctrl);
  PV_RUN_OFFSET(host_spec_ctrl, host_spec_ctrl);
  PV_RUN_OFFSET(spec_ctrl_present, spec_ctrl_present);
  PV_RUN_OFFSET(spec_ctrl_intercepted, spec_ctrl_intercepted);
  PV_RUN_OFFSET(launched, launched);
  PV_RUN_OFFSET(guest_state_pa, guest_state_pa);
  PV_RUN_OFFSET(host_state_pa, host_state_pa);
  PV_RUN_OFFSET(host_rsp, host_rsp);
  PV_RUN_OFFSET(spec_ctrl_guest_writes, spec_ctrl_guest_writes);
  PV_RUN_OFFSET(spec_ctrl_host_writes, spec_ctrl_host_writes);
  PV_RUN_OFFSET(spec_ctrl_guest_reads, spec_ctrl_guest_reads);

  // SEV-ES host save area GPR slots (entry/svm_sev_es_run.asm). The names use the x86 spelling
  // of pv::Gpr without its k prefix.
  PV_DEFINE(HSA_rbx, offsetof(pv::svm::SevEsSaveArea, gprs[pv::kRbx]));
  PV_DEFINE(HSA_rbp, offsetof(pv::svm::SevEsSaveArea, gprs[pv::kRbp]));
  PV_DEFINE(HSA_rsi, offsetof(pv::svm::SevEsSaveArea, gprs[pv::kRsi]));
  PV_DEFINE(HSA_rdi, offsetof(pv::svm::SevEsSaveArea, gprs[pv::kRdi]));
  PV_DEFINE(HSA_r12, offsetof(pv::svm::SevEsSaveArea, gprs[pv::kR12]));
  PV_DEFINE(HSA_r13, offsetof(pv::svm::SevEsSaveArea, gprs[pv::kR13]));
  PV_DEFINE(HSA_r14, offsetof(pv::svm::SevEsSaveArea, gprs[pv::kR14]));
  PV_DEFINE(HSA_r15, offsetof(pv::svm::SevEsSaveArea, gprs[pv::kR15]));

  // TDG.VP.ENTER (entry/tdx_l2_enter.asm): the leaf and the exit record's slots.
  PV_DEFINE(TDX_LEAF_VP_ENTER, pv::tdx::leaf::kVpEnter);
  PV_TDX_EXIT_OFFSET(rax);
  PV_TDX_EXIT_OFFSET(rcx);
  PV_TDX_EXIT_OFFSET(rdx);
  PV_TDX_EXIT_OFFSET(rsi);
  PV_TDX_EXIT_OFFSET(rdi);
  PV_TDX_EXIT_OFFSET(r8);
  PV_TDX_EXIT_OFFSET(r9);
  PV_TDX_EXIT_OFFSET(r10);
  PV_TDX_EXIT_OFFSET(r11);
  PV_TDX_EXIT_OFFSET(r12);
  PV_TDX_EXIT_OFFSET(r13);

  // VMCS field encodings the VMX world switch writes itself.
  PV_DEFINE(VMCS_HOST_RSP, pv::vmx::field::kHostRsp);

  // Guest ABI, for the project's NASM test guests.
  PV_DEFINE(PV_BOOT_INFO_GPA, pv::abi::kBootInfoGpa);
  PV_DEFINE(PV_GUEST_SECRETS_PAGE_GPA, pv::abi::kGuestSecretsPageGpa);
  PV_DEFINE(PV_CMDLINE_GPA, pv::abi::kCmdlineGpa);
  PV_DEFINE(PV_IMAGE_BASE, pv::abi::kImageBase);
  PV_DEFINE(PV_BOOT_INFO_MAGIC, pv::abi::kBootInfoMagic);
  PV_DEFINE(PV_BOOT_INFO_mem_size, offsetof(pv::abi::BootInfo, mem_size));
  PV_DEFINE(PV_BOOT_INFO_cmdline_len, offsetof(pv::abi::BootInfo, cmdline_len));
  PV_DEFINE(PV_HC_GET_ABI_VERSION, pv::abi::kHcGetAbiVersion);
  PV_DEFINE(PV_ABI_VERSION, pv::abi::kAbiVersion);
  PV_DEFINE(PV_HC_PRINT, pv::abi::kHcPrint);
  PV_DEFINE(PV_HC_EXIT, pv::abi::kHcExit);
  PV_DEFINE(PV_HC_NOP, pv::abi::kHcNop);
  PV_DEFINE(PV_HC_GET_EVIDENCE, pv::abi::kHcGetEvidence);
  PV_DEFINE(PV_HC_GET_SECRET, pv::abi::kHcGetSecret);
  PV_DEFINE(PV_HC_ERR_NOT_ATTESTED, pv::abi::kHcErrNotAttested);
  PV_DEFINE(PV_HC_ERR_DENIED, pv::abi::kHcErrDenied);
  PV_DEFINE(PV_HC_ERR_UNAVAILABLE, pv::abi::kHcErrUnavailable);
  PV_DEFINE(PV_HC_TEST_BASE, pv::abi::kHcTestBase);

  // Test-image hypercalls and values (testing/test_abi.h).
  PV_DEFINE(PV_HC_TEST_GPR, pv::testing::kHcTestGpr);
  PV_DEFINE(PV_HC_TEST_RIP, pv::testing::kHcTestRip);
  PV_DEFINE(PV_HC_TEST_SPEC_CTRL, pv::testing::kHcTestSpecCtrl);
  PV_DEFINE(PV_HC_TEST_CANARY, pv::testing::kHcTestCanary);
  PV_DEFINE(PV_HC_TEST_GET_ITERS, pv::testing::kHcTestGetIters);
  PV_DEFINE(PV_HC_TEST_BENCH_MARK, pv::testing::kHcTestBenchMark);
  PV_DEFINE(PV_HC_TEST_BENCH_BARE, pv::testing::kHcTestBenchBare);
  PV_DEFINE(PV_HC_TEST_EXIT_COUNT, pv::testing::kHcTestExitCount);
  PV_DEFINE(PV_TEST_SPEC_CTRL_MSR, 0xc0000103u);
  PV_DEFINE(PV_TEST_GPR_PATTERN_RBX, pv::testing::GprPattern(pv::kRbx));
  PV_DEFINE(PV_TEST_GPR_PATTERN_RCX, pv::testing::GprPattern(pv::kRcx));
  PV_DEFINE(PV_TEST_GPR_PATTERN_RDX, pv::testing::GprPattern(pv::kRdx));
  PV_DEFINE(PV_TEST_GPR_PATTERN_RSI, pv::testing::GprPattern(pv::kRsi));
  PV_DEFINE(PV_TEST_GPR_PATTERN_RDI, pv::testing::GprPattern(pv::kRdi));
  PV_DEFINE(PV_TEST_GPR_PATTERN_RBP, pv::testing::GprPattern(pv::kRbp));
  PV_DEFINE(PV_TEST_GPR_PATTERN_R8, pv::testing::GprPattern(pv::kR8));
  PV_DEFINE(PV_TEST_GPR_PATTERN_R9, pv::testing::GprPattern(pv::kR9));
  PV_DEFINE(PV_TEST_GPR_PATTERN_R10, pv::testing::GprPattern(pv::kR10));
  PV_DEFINE(PV_TEST_GPR_PATTERN_R11, pv::testing::GprPattern(pv::kR11));
  PV_DEFINE(PV_TEST_GPR_PATTERN_R12, pv::testing::GprPattern(pv::kR12));
  PV_DEFINE(PV_TEST_GPR_PATTERN_R13, pv::testing::GprPattern(pv::kR13));
  PV_DEFINE(PV_TEST_GPR_PATTERN_R14, pv::testing::GprPattern(pv::kR14));
  PV_DEFINE(PV_TEST_GPR_PATTERN_R15, pv::testing::GprPattern(pv::kR15));
}
