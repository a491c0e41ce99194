# Real Bochs 2.7 runs (included from CMakeLists.txt). Each run builds its own disk image in a
# fresh directory (paravisor/bochs/mkimage.py via run_firmware.py), so several may run at once.
#   labels "vmx;bochs": the VMX world switch on cpu model corei7_skylake_x (VMX + EPT)
#   labels "svm;bochs": the same SVM suite as under QEMU, on cpu model ryzen (SVM + NPT with
#                       NRIP save, so the hardware-next-RIP path runs, which QEMU lacks)
set(PV_BOCHS_LOADER "${CMAKE_BINARY_DIR}/paravisor/bochs/loader.bin")
set(PV_BOCHS_MKIMAGE "${PV_FW_INCLUDE_DIR}/bochs/mkimage.py")

# pv_bochs_test(<name> <firmware target> <svm|vmx> [RESULT PASS|FAIL] MODULES ... EXPECT ...
#               FORBID ...)
function(pv_bochs_test name firmware kind)
  if(kind STREQUAL "svm")
    set(cpu ryzen)
  else()
    set(cpu corei7_skylake_x)
  endif()
  pv_firmware_test(${name} ${firmware} LABELS "${kind};bochs"
    EMULATOR_ARGS --emulator bochs --bochs-cpu ${cpu} --loader ${PV_BOCHS_LOADER}
                  --mkimage ${PV_BOCHS_MKIMAGE} --timeout 120
    ${ARGN})
endfunction()

# --- the SVM suite on Bochs model=ryzen ---------------------------------------------------------
set(svm_banner "svm: revision 1, [0-9]+ ASIDs, nested paging yes, NRIP save yes")
pv_bochs_test(bochs_svm_demo_guest_production_image paravisor svm
  MODULES "hello.bin"
  EXPECT "${svm_banner}" "\\[guest\\] Hello from a guest" "hypervisor is: PvParavisor!"
         "guest 0: stopped: exit0" ${pv_no_confidential_hw}
  FORBID "TEST-FAIL")
pv_bochs_test(bochs_svm_gpr_roundtrip paravisor_test svm
  MODULES "gpr.bin test=gpr"
  EXPECT "${svm_banner}" "gpr: guest -> paravisor: 15/15 registers match" "all 15 registers carry")
pv_bochs_test(bochs_svm_every_exit_kind paravisor_test svm
  MODULES "exits.bin"
  EXPECT "exits: every step passed"
         "cpuid=[1-9].* io=[1-9].* msr-read=[1-9].* msr-write=[1-9].* hlt=[1-9].* hypercall=[1-9]"
  FORBID "TEST-FAIL")
pv_bochs_test(bochs_svm_spec_ctrl_standin paravisor_test svm
  MODULES "specctrl.bin test=specctrl"
  EXPECT "spec_ctrl: counters" FORBID "TEST-FAIL")
pv_bochs_test(bochs_svm_npt_isolation paravisor_test svm
  MODULES "npt.bin test=npt expect=npf"
  EXPECT "npf: guest 0 write at GPA 0x1001000 outside its memory" FORBID "TEST-FAIL")
pv_bochs_test(bochs_svm_loop_10k_exits paravisor_test svm
  MODULES "loop.bin test=loop iters=10000"
  EXPECT "guest 0: 10003 exits: cpuid=10001" FORBID "TEST-FAIL")
# Bochs 2.7 does not implement the SVM SHUTDOWN intercept: a guest triple fault ends the whole
# simulation ("3rd exception with no resolution"; its exception() only has the VMX triple-fault
# exit). So the triple-fault guest runs on QEMU (svm_misbehaving_guests) and on Bochs VMX only.
pv_bochs_test(bochs_svm_misbehaving_guests paravisor_test svm
  MODULES "unknown.bin test=unknown expect=unknown-exit" "hello.bin"
  EXPECT "guest 0: unhandled exit code 0x6e" "guest 0: stopped: unknown-exit"
         "guest 1: stopped: exit0" "2/2 guests ended as expected")
pv_bochs_test(bochs_svm_unexpected_outcome_is_reported paravisor_test svm
  RESULT FAIL
  MODULES "hello.bin expect=halted"
  EXPECT "outcome exit0 is not what was expected" "0/1 guests ended as expected")

# --- the VMX world switch on Bochs model=corei7_skylake_x ---------------------------------------
set(vmx_banner "vmx: VMCS revision 0x[0-9a-f]+, TRUE controls")
pv_bochs_test(bochs_vmx_demo_guest_production_image paravisor vmx
  MODULES "hello.bin"
  EXPECT "${vmx_banner}" "\\[guest\\] Hello from a guest" "hypervisor is: PvParavisor!"
         "guest 0: stopped: exit0" ${pv_no_confidential_hw}
  FORBID "TEST-FAIL" "VMWRITE of|VMREAD of")
pv_bochs_test(bochs_vmx_gpr_roundtrip paravisor_test vmx
  MODULES "gpr.bin test=gpr"
  EXPECT "${vmx_banner}" "gpr: guest -> paravisor: 15/15 registers match" "all 15 registers carry")
pv_bochs_test(bochs_vmx_every_exit_kind paravisor_test vmx
  MODULES "exits.bin"
  EXPECT "exits: every step passed"
         "cpuid=[1-9].* io=[1-9].* msr-read=[1-9].* msr-write=[1-9].* hlt=[1-9].* hypercall=[1-9]"
  FORBID "TEST-FAIL" "VMWRITE of|VMREAD of")
pv_bochs_test(bochs_vmx_spec_ctrl_standin paravisor_test vmx
  MODULES "specctrl.bin test=specctrl"
  EXPECT "spec_ctrl: counters" FORBID "TEST-FAIL")
pv_bochs_test(bochs_vmx_ept_isolation paravisor_test vmx
  MODULES "npt.bin test=npt expect=npf"
  EXPECT "npf: guest 0 write at GPA 0x1001000 outside its memory" FORBID "TEST-FAIL")
pv_bochs_test(bochs_vmx_loop_10k_exits paravisor_test vmx
  MODULES "loop.bin test=loop iters=10000"
  EXPECT "guest 0: 10003 exits: cpuid=10001" FORBID "TEST-FAIL")
# RDTSC exits with basic reason 16 (0x10), which the exit model does not handle.
pv_bochs_test(bochs_vmx_misbehaving_guests paravisor_test vmx
  MODULES "triple.bin expect=shutdown" "unknown.bin test=unknown expect=unknown-exit" "hello.bin"
  EXPECT "guest 0: stopped: shutdown" "guest 1: unhandled exit code 0x10"
         "guest 1: stopped: unknown-exit" "guest 2: stopped: exit0" "3/3 guests ended as expected")
pv_bochs_test(bochs_vmx_unexpected_outcome_is_reported paravisor_test vmx
  RESULT FAIL
  MODULES "triple.bin expect=exit0"
  EXPECT "outcome shutdown is not what was expected" "0/1 guests ended as expected")
# VM-Fail and VM-entry failure: a deliberately invalid VMCS is reported (with the VM-instruction
# error number, or the entry-failure exit reason) and the paravisor goes on with the next guest.
pv_bochs_test(bochs_vmx_vmfail_reported paravisor_test vmx
  MODULES "hello.bin vmx_fault=host expect=entry-failure"
          "hello.bin vmx_fault=control expect=entry-failure"
          "hello.bin vmx_fault=guest expect=entry-failure" "hello.bin"
  EXPECT "guest 0: VMLAUNCH failed \\(VMfailValid\\): VM-instruction error 8: VM entry with invalid host-state"
         "guest 0: stopped: entry-failure .*code 0x8,"
         "guest 1: VMLAUNCH failed \\(VMfailValid\\): VM-instruction error 7: VM entry with invalid control"
         "guest 1: stopped: entry-failure .*code 0x7,"
         "guest 2: VM-entry failure, exit reason 33 \\(0x80000021\\)"
         "guest 2: stopped: entry-failure .*code 0x80000021"
         "guest 3: stopped: exit0" "4/4 guests ended as expected")
