# Linux guests (label linux; included from CMakeLists.txt): Debian's kernel, fetched into a cache
# by the tests themselves (scripts/fetch_linux_kernel.sh), with tests/linux's initramfs.

# The boot protocol on the real vmlinuz, on the host.
add_executable(linux_boot_debian_test linux_boot_debian_test.cpp
               ${PV_FW_INCLUDE_DIR}/guest/linux_boot.cpp ${PV_FW_INCLUDE_DIR}/guest/boot_state.cpp
               ${PV_FW_INCLUDE_DIR}/guest/guest_memory.cpp)
target_include_directories(linux_boot_debian_test PRIVATE ${PV_FW_INCLUDE_DIR})
target_link_libraries(linux_boot_debian_test PRIVATE pv_host_flags GTest::gtest_main)
add_test(NAME linux_boot_debian_kernel
  COMMAND sh -c "k=$(\"$0\") && PV_LINUX_VMLINUZ=\"$k\" exec \"$1\""
          ${CMAKE_SOURCE_DIR}/scripts/fetch_linux_kernel.sh $<TARGET_FILE:linux_boot_debian_test>)
set_tests_properties(linux_boot_debian_kernel PROPERTIES LABELS "linux" TIMEOUT 300)

# pv_linux_test(<name> <kernel cmdline> <guest options> <pv_firmware_test arguments>...)
# One paravisor boot on QEMU TCG (SVM + NPT) with Debian's kernel as guest 0 and the build's
# initramfs as module 1: run_linux_guest.sh fetches the kernel into its cache and inserts both
# modules ahead of the test's own MODULES (where @VMLINUZ@ stands for the kernel's path).
set(PV_LINUX_INITRAMFS "${CMAKE_BINARY_DIR}/tests/linux/initramfs.cpio")
function(pv_linux_test name cmdline guest_options)
  if(guest_options STREQUAL "")
    set(guest_options "-")  # a list element cannot be empty; the wrapper reads "-" as none
  endif()
  pv_firmware_test(${name} paravisor LABELS linux
    LAUNCHER ${CMAKE_SOURCE_DIR}/tests/linux/run_linux_guest.sh ${PV_LINUX_INITRAMFS}
             "${cmdline}" "${guest_options}"
    EMULATOR_ARGS --memory 512M --timeout 240 ${ARGN})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300)
endfunction()

# Debian's kernel boots to the initramfs's /init on QEMU SVM under the paravisor's emulated PC
# platform (local APIC with TSC-deadline timer, PIC, PIT, RTC, interrupt-driven 16550A; MP
# table; the kernel parameters the paravisor adds), init prints its pv-init lines through ttyS0
# (the uname, the CPU flags with x2apic/tsc_deadline_timer/arat, sleep 1 with time advancing,
# syscalls) and powers off, which without ACPI ends in the kernel's halt: outcome `halted`.
pv_linux_test(linux_svm_kernel_to_init
  "console=ttyS0 panic=-1" ""
  APPEND "guest_mem=256"
  EXPECT "guest 0: Linux bzImage at 0x1000000\\.\\.0x[0-9a-f]+, entry 0x1000200, initrd 0x[0-9a-f]+"
         "cmdline \"noapic pci=off reboot=t tsc_early_khz=[0-9]+ console=ttyS0 panic=-1\""
         "\\[guest\\] .*Linux version 6\\.[0-9]+\\.[0-9]+-[0-9]+-amd64"
         "BIOS-e820: \\[mem 0x0000000000100000-0x000000000fffffff\\] usable"
         "found SMP MP-table at \\[mem 0x0009fc00-0x0009fc0f\\]"
         "TSC deadline timer available"
         "serial8250: ttyS0 at I/O 0x3f8 \\(irq = 4, base_baud = 115200\\) is a 16550A"
         "\\[guest\\] pv-init: hello from userspace through the console"
         "\\[guest\\] pv-init: uname -r: 6\\.[0-9]+\\.[0-9]+-[0-9]+-amd64"
         "\\[guest\\] pv-init: mount /proc: ok"
         "\\[guest\\] pv-init: cpu flags: fpu .* apic .*"
         "x2apic tsc_deadline_timer .*hypervisor .*arat"
         "\\[guest\\] pv-init: getpid is 1: ok"
         "\\[guest\\] pv-init: sleep 1: monotonic clock advanced [0-9.]+ s"
         "\\[guest\\] pv-init: sleep 1 advanced time: ok"
         "\\[guest\\] pv-init: file and pipe syscalls: ok"
         "\\[guest\\] pv-init: all checks passed, powering off"
         "reboot: System halted"
         "guest 0: stopped: halted"
         "guest 0: [0-9]+ interrupts injected \\(local APIC timer [1-9][0-9]*, PIC [1-9][0-9]*\\)"
         "1/1 guests ended as expected"
  FORBID "PANIC" "pv-init: .*FAIL" "Kernel panic")

# `reboot -f` (init restarts the machine): Linux's reboot=t triple fault, outcome `shutdown`.
pv_linux_test(linux_svm_kernel_reboot
  "console=ttyS0 quiet panic=-1 pv_reboot" "expect=shutdown"
  APPEND "guest_mem=256"
  EXPECT "\\[guest\\] pv-init: all checks passed, restarting"
         "reboot: Restarting system" "guest 0: stopped: shutdown" "1/1 guests ended as expected"
  FORBID "PANIC" "pv-init: .*FAIL")

string(REPEAT "x" 2100 PV_LINUX_LONG_CMDLINE)  # Debian's cmdline_size is 2047

# Hostile inputs end in a clear outcome and the paravisor carries on with the next guest: a
# kernel that does not fit guest RAM, a kernel command line longer than the kernel accepts
# (rejected before the guest runs), and a command line full of unknown parameters and a tiny
# mem= (the kernel panics out of memory and, with panic=-1, restarts: a triple fault).
pv_linux_test(linux_svm_kernel_too_big_for_guest_ram
  "console=ttyS0" ""
  APPEND "guest_mem=32" RESULT FAIL
  MODULES "@VMLINUZ@ linux initrd=1 -- console=ttyS0 ${PV_LINUX_LONG_CMDLINE}" "hello.bin"
  EXPECT "guest 0: image rejected: linux: kernel \\(init_size\\) and initrd do not fit in guest RAM"
         "guest 2: image rejected: linux: command line longer than the kernel's cmdline_size"
         "guest 3: stopped: exit0" "1/3 guests ended as expected"
  FORBID "PANIC")
pv_linux_test(linux_svm_hostile_kernel_cmdline
  "console=ttyS0 panic=-1 no.such.param=1 mem=12M init=/nonexistent quiet=="
  "expect=shutdown"
  APPEND "guest_mem=256" MODULES "hello.bin"
  EXPECT "cmdline \"noapic pci=off reboot=t tsc_early_khz=[0-9]+ console=ttyS0 .* mem=12M"
         "Kernel panic - not syncing" "guest 0: stopped: shutdown"
         "guest 2: stopped: exit0" "2/2 guests ended as expected"
  FORBID "PANIC")


# The Linux platform's interrupt delivery on every backend, with a guest of the project's own
# (`platform=pc`, guests/apic_timer.asm): x2APIC, TSC-deadline timer waking HLT five times, and
# an interrupt raised with IF=0 held until STI (SVM: V_IRQ + VINTR intercept; VMX:
# interrupt-window exiting). Debian's kernel is too slow to boot on Bochs; this is the VMX path's
# test. A healthy guest follows in each boot.
set(pv_apic_timer_expect
    "apic_timer: 5 HLTs woken by the TSC-deadline timer, an IF=0 interrupt held until STI"
    "guest 0: stopped: exit0" "guest 0: [0-9]+ exits: .*interrupt-window=[1-9]"
    "guest 0: 6 interrupts injected \\(local APIC timer 6, PIC 0\\)"
    "guest 1: stopped: exit0" "2/2 guests ended as expected")
pv_firmware_test(linux_platform_interrupts_qemu_svm paravisor LABELS "linux;svm"
  MODULES "apic_timer.bin platform=pc" "hello.bin" EXPECT ${pv_apic_timer_expect} FORBID "PANIC")
pv_bochs_test(linux_platform_interrupts_bochs_vmx paravisor vmx
  MODULES "apic_timer.bin platform=pc" "hello.bin" EXPECT ${pv_apic_timer_expect} FORBID "PANIC")
pv_bochs_test(linux_platform_interrupts_bochs_svm paravisor svm
  MODULES "apic_timer.bin platform=pc" "hello.bin" EXPECT ${pv_apic_timer_expect} FORBID "PANIC")
set_tests_properties(linux_platform_interrupts_bochs_vmx linux_platform_interrupts_bochs_svm
  PROPERTIES LABELS "linux;bochs")
