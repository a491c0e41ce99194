; Hostile guest: walks what CPUID reports and exercises each advertised feature's MSRs: every one
; must answer RDMSR without #GP, and the features the paravisor cannot back must be hidden.
; Instructions of advertised features are exercised by instructions.asm. Exit code 0 = all
; passed; otherwise 0x100 + the failing table row, whose name is printed.
%include "guest.inc"

REG_EAX equ 0
REG_EBX equ 1
REG_ECX equ 2
REG_EDX equ 3
MSR_READ equ 1                      ; advertised => the MSR must be readable
HIDDEN   equ 2                      ; must never be advertised

; ROW leaf, subleaf, reg, bit, kind, msr, name
%macro ROW 7
    dd %1, %2
    db %3, %4, %5, 0
    dd %6
    dq %%name
[section .rodata]
%%name: db %7, 0
__SECT__
%endmacro
ROW_SIZE equ 24

main:
    xor eax, eax
    cpuid
    mov [max_basic], eax
    mov eax, 0x80000000
    cpuid
    mov [max_ext], eax
    lea rbx, [table]
    xor r14d, r14d                  ; row index
.row:
    cmp rbx, table_end
    jae .done
    mov eax, [rbx]
    ; A leaf beyond the reported range reads as zero: nothing advertised there.
    cmp eax, 0x80000000
    jae .ext
    cmp eax, [max_basic]
    ja .next
    jmp .query
.ext:
    cmp eax, [max_ext]
    ja .next
.query:
    mov ecx, [rbx + 4]
    push rbx
    cpuid
    mov [regs + 0], eax
    mov [regs + 4], ebx
    mov [regs + 8], ecx
    mov [regs + 12], edx
    pop rbx
    movzx eax, byte [rbx + 8]
    mov eax, [regs + rax * 4]
    movzx ecx, byte [rbx + 9]
    bt eax, ecx
    jnc .next                       ; not advertised
    cmp byte [rbx + 10], HIDDEN
    je .fail
    mov ecx, [rbx + 12]
    EXPECT_FAULT 13, 2
    rdmsr
    cmp byte [last_vector], 0xff
    jne .fail
    inc dword [msrs_read]
.next:
    add rbx, ROW_SIZE
    inc r14d
    jmp .row
.done:
    PUTS ok
    EXIT 0
.fail:
    mov rsi, [rbx + 16]
    call puts_com1
    PUTS failed
    lea edi, [r14d + 0x100]
    mov eax, PV_HC_EXIT
    HYPERCALL
    ud2

table:
    ROW 1, 0, REG_EDX, 4, MSR_READ, 0x10, "TSC: IA32_TIME_STAMP_COUNTER"
    ROW 1, 0, REG_EDX, 7, MSR_READ, 0x17a, "MCE: IA32_MCG_STATUS"
    ROW 1, 0, REG_EDX, 9, MSR_READ, 0x1b, "APIC: IA32_APIC_BASE"
    ROW 1, 0, REG_EDX, 11, MSR_READ, 0x174, "SEP: IA32_SYSENTER_CS"
    ROW 1, 0, REG_EDX, 11, MSR_READ, 0x175, "SEP: IA32_SYSENTER_ESP"
    ROW 1, 0, REG_EDX, 11, MSR_READ, 0x176, "SEP: IA32_SYSENTER_EIP"
    ROW 1, 0, REG_EDX, 12, MSR_READ, 0xfe, "MTRR: IA32_MTRRCAP"
    ROW 1, 0, REG_EDX, 12, MSR_READ, 0x2ff, "MTRR: IA32_MTRR_DEF_TYPE"
    ROW 1, 0, REG_EDX, 14, MSR_READ, 0x179, "MCA: IA32_MCG_CAP"
    ROW 1, 0, REG_EDX, 14, MSR_READ, 0x17a, "MCA: IA32_MCG_STATUS"
    ROW 1, 0, REG_EDX, 16, MSR_READ, 0x277, "PAT: IA32_PAT"
    ROW 1, 0, REG_EDX, 21, MSR_READ, 0x600, "DS: IA32_DS_AREA"
    ROW 1, 0, REG_EDX, 22, MSR_READ, 0x19c, "ACPI: IA32_THERM_STATUS"
    ROW 1, 0, REG_EDX, 29, MSR_READ, 0x19c, "TM: IA32_THERM_STATUS"
    ROW 1, 0, REG_ECX, 3, HIDDEN, 0, "MONITOR/MWAIT advertised"
    ROW 1, 0, REG_ECX, 5, HIDDEN, 0, "VMX advertised"
    ROW 1, 0, REG_ECX, 6, HIDDEN, 0, "SMX advertised"
    ROW 1, 0, REG_ECX, 7, MSR_READ, 0x198, "EST: IA32_PERF_STATUS"
    ROW 1, 0, REG_ECX, 15, MSR_READ, 0x345, "PDCM: IA32_PERF_CAPABILITIES"
    ROW 1, 0, REG_ECX, 21, HIDDEN, 0, "x2APIC advertised without an x2APIC"
    ROW 1, 0, REG_ECX, 24, HIDDEN, 0, "TSC-deadline advertised without an APIC timer"
    ROW 6, 0, REG_ECX, 0, MSR_READ, 0xe7, "APERFMPERF: IA32_MPERF"
    ROW 6, 0, REG_ECX, 0, MSR_READ, 0xe8, "APERFMPERF: IA32_APERF"
    ROW 7, 0, REG_EBX, 1, MSR_READ, 0x3b, "TSC_ADJUST: IA32_TSC_ADJUST"
    ROW 7, 0, REG_ECX, 5, MSR_READ, 0xe1, "WAITPKG: IA32_UMWAIT_CONTROL"
    ROW 7, 0, REG_EDX, 26, MSR_READ, 0x48, "IBRS: IA32_SPEC_CTRL"
    ROW 7, 0, REG_EDX, 29, MSR_READ, 0x10a, "IA32_ARCH_CAPABILITIES"
    ROW 0xd, 1, REG_EAX, 3, MSR_READ, 0xda0, "XSAVES: IA32_XSS"
    ROW 0x80000001, 0, REG_ECX, 2, HIDDEN, 0, "SVM advertised"
    ROW 0x80000001, 0, REG_ECX, 23, MSR_READ, 0xc0010200, "PerfCtrExtCore: PERF_CTL0"
    ROW 0x80000001, 0, REG_ECX, 24, MSR_READ, 0xc0010240, "PerfCtrExtNB: NB_PERF_CTL0"
    ROW 0x80000001, 0, REG_ECX, 28, MSR_READ, 0xc0010230, "PerfCtrExtLLC: L2I_PERF_CTL0"
    ROW 0x80000001, 0, REG_EDX, 11, MSR_READ, 0xc0000081, "SYSCALL: STAR"
    ROW 0x80000001, 0, REG_EDX, 11, MSR_READ, 0xc0000082, "SYSCALL: LSTAR"
    ROW 0x80000001, 0, REG_EDX, 11, MSR_READ, 0xc0000084, "SYSCALL: SFMASK"
    ROW 0x80000001, 0, REG_EDX, 20, MSR_READ, 0xc0000080, "NX: EFER"
    ROW 0x80000001, 0, REG_EDX, 27, MSR_READ, 0xc0000103, "RDTSCP: TSC_AUX"
    ROW 0x80000001, 0, REG_EDX, 29, MSR_READ, 0xc0000100, "LM: FS_BASE"
    ROW 0x80000001, 0, REG_EDX, 29, MSR_READ, 0xc0000102, "LM: KERNEL_GS_BASE"
table_end:

ok:     db "cpuid_walk: every advertised feature's MSRs answered, hidden features hidden", 10, 0
failed: db ": advertised but faults (or must be hidden)", 10, 0
align 4
max_basic: dd 0
max_ext:   dd 0
msrs_read: dd 0
regs:      dd 0, 0, 0, 0

%include "guest_data.inc"
