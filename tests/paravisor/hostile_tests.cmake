# Hostile guests (label `hostile`, plus the platform's labels): each family on QEMU SVM, Bochs VMX
# (corei7_skylake_x) and Bochs SVM (ryzen), every hostile guest followed by a healthy one
# (hello.bin) in the same boot, which must pass. Production image: what ships is what is tested.
#   leak      secrets in every register class no world switch swaps must not reach the next guest
#   stall     guests that never exit (interrupts off, HLT forever, TPR raised) end as `timeout`
#             after their budget and the next guest runs; HLT exits stay few (each sleeps a tick)
#   arch      DR7 across exits, control-register writes, hidden instructions, XSETBV, and a walk
#             of CPUID exercising every advertised feature's MSRs
#   cpl3      SVM instructions at CPL 3 raise #UD (not the #GP that reveals EFER.SVME); other
#             #GPs keep their error code (a boot holds at most 8 guests, hence its own family)
set(hostile_leak_modules "leak_plant.bin" "leak_check.bin" "hello.bin")
set(hostile_leak_expect "leak_plant: secrets planted" "guest 1: stopped: exit0"
    "leak_check: no register class" "guest 2: stopped: exit0" "3/3 guests ended as expected")
set(hostile_stall_modules
    "spin.bin budget_ms=300 expect=timeout" "hello.bin"
    "halt_forever.bin budget_ms=300 expect=timeout" "hello.bin"
    "spin_sti.bin budget_ms=300 expect=timeout" "hello.bin")
set(hostile_stall_expect
    "guest 0: stopped: timeout" "guest 1: stopped: exit0"
    "guest 2: stopped: timeout" "guest 2: [0-9]+ exits: .*hlt=[1-9][0-9]?( |$)"
    "guest 4: stopped: timeout" "guest 5: stopped: exit0" "6/6 guests ended as expected")
set(hostile_arch_modules
    "dr7.bin" "hello.bin" "cr_writes.bin" "hello.bin" "instructions.bin" "hello.bin"
    "cpuid_walk.bin" "hello.bin")
set(hostile_arch_expect
    "dr7: data breakpoint fired" "cr_writes: every control-register write"
    "instructions: hidden ones #UD" "cpuid_walk: every advertised feature"
    "8/8 guests ended as expected")

# Bochs 2.7's SVM does not deliver a physical interrupt to the INTR intercept while the guest
# runs with IF=0 (it ignores V_INTR_MASKING's host IF), and SVM has no preemption timer: the
# interrupts-off spinner is left out there (it runs on QEMU SVM and Bochs VMX).
set(hostile_stall_svm_modules
    "halt_forever.bin budget_ms=300 expect=timeout" "hello.bin"
    "spin_sti.bin budget_ms=300 expect=timeout" "hello.bin")
set(hostile_stall_svm_expect
    "guest 0: stopped: timeout" "guest 0: [0-9]+ exits: .*hlt=[1-9][0-9]?( |$)"
    "guest 1: stopped: exit0" "guest 2: stopped: timeout" "guest 3: stopped: exit0"
    "4/4 guests ended as expected")
set(hostile_leak_svm_modules ${hostile_leak_modules})
set(hostile_leak_svm_expect ${hostile_leak_expect})
set(hostile_arch_svm_modules ${hostile_arch_modules})
# QEMU 7.2 TCG lets an SVM guest set CR4 bits an AMD CPU reserves (SMXE, LA57 in long mode)
# instead of raising #GP (the paravisor does not intercept CR4 on SVM: the CPU checks it); its
# VMRUN then refuses the guest state. There the guest must be stopped (entry-failure) and the
# next guest must run; Bochs SVM (ryzen) checks the full behaviour.
set(hostile_arch_qemu_modules
    "dr7.bin" "hello.bin" "cr_writes.bin expect=entry-failure" "hello.bin" "instructions.bin"
    "hello.bin" "cpuid_walk.bin" "hello.bin")
set(hostile_arch_qemu_expect
    "dr7: data breakpoint fired" "guest 2: stopped: entry-failure" "guest 3: stopped: exit0"
    "instructions: hidden ones #UD" "cpuid_walk: every advertised feature"
    "8/8 guests ended as expected")
set(hostile_cpl3_modules "svm_cpl3.bin" "hello.bin")
set(hostile_cpl3_expect "svm_cpl3: SVM instructions at CPL 3 raise #UD" "guest 1: stopped: exit0"
    "2/2 guests ended as expected")
set(hostile_cpl3_svm_modules ${hostile_cpl3_modules})
set(hostile_cpl3_svm_expect ${hostile_cpl3_expect})
foreach(family leak stall cpl3)
  set(hostile_${family}_qemu_modules ${hostile_${family}_modules})
  set(hostile_${family}_qemu_expect ${hostile_${family}_expect})
endforeach()
set(hostile_arch_svm_expect ${hostile_arch_expect})

foreach(family leak stall arch cpl3)
  pv_firmware_test(hostile_${family}_qemu_svm paravisor LABELS "hostile;svm"
    EMULATOR_ARGS --cpu "qemu64,+svm,+npt"
    MODULES ${hostile_${family}_qemu_modules} EXPECT ${hostile_${family}_qemu_expect}
    FORBID "PANIC|LEAK")
  pv_bochs_test(hostile_${family}_bochs_vmx paravisor vmx
    MODULES ${hostile_${family}_modules} EXPECT ${hostile_${family}_expect} FORBID "PANIC|LEAK")
  pv_bochs_test(hostile_${family}_bochs_svm paravisor svm
    MODULES ${hostile_${family}_svm_modules} EXPECT ${hostile_${family}_svm_expect}
    FORBID "PANIC|LEAK")
  set_tests_properties(hostile_${family}_bochs_vmx hostile_${family}_bochs_svm PROPERTIES
    LABELS "hostile;bochs")
endforeach()

# A hostile paravisor command line: guest_mem outside 2..1024 or not a number ends the run with
# an error naming the option (never a guess); the smallest and largest legal values run guests.
foreach(bad 0 1 1025 12x 0x10000000000000000)
  pv_firmware_test(hostile_guest_mem_${bad}_refused paravisor LABELS "hostile;svm"
    RESULT FAIL APPEND "guest_mem=${bad}" MODULES "hello.bin"
    EXPECT "PV-RESULT: FAIL guest_mem: (outside 2..1024 MiB|not a number of MiB)"
    FORBID "guest 0: image")
endforeach()
pv_firmware_test(hostile_guest_mem_2_accepted paravisor LABELS "hostile;svm"
  APPEND "guest_mem=2" MODULES "hello.bin" EXPECT "2 MiB RAM" "guest 0: stopped: exit0")
