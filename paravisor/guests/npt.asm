; Nested-paging isolation: the guest writes where the paravisor's canary lives in host-physical
; memory (that GPA is the guest's own RAM, remapped), then maps and writes the first page past
; its RAM. The paravisor must stop it with a nested page fault at exactly that address, and its
; canary must be unchanged (checked by the paravisor after the stop).
%include "guest.inc"

main:
    mov rbx, [abs PV_BOOT_INFO_GPA + PV_BOOT_INFO_mem_size]
    lea r12, [rbx + 0x1000]         ; first GPA we will touch outside RAM
    HC PV_HC_TEST_CANARY, r12       ; -> host-physical address of the paravisor's canary
    cmp rax, rbx
    jae .outside
    mov qword [rax], 0xbad          ; lands in the guest's own RAM, not the paravisor's
.outside:
    ; Extend our identity map by one 2 MiB page past RAM (PD at page-tables + 0x2000).
    mov rax, rbx
    shr rax, 21
    lea rdi, [0x3000 + 0x2000 + rax * 8]
    mov rax, rbx
    or rax, 0x83                    ; present, writable, 2 MiB
    mov [rdi], rax
    invlpg [r12]
    mov qword [r12], 0xbad          ; -> nested page fault: the guest stops here
    EXIT 50                         ; not reached if isolation works

%include "guest_data.inc"
