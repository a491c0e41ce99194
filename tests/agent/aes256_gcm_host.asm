; The test guests' AES-256-GCM (guests/aes256_gcm.inc) assembled as a host object, so that
; aes256_gcm_asm_test.cc can check the very instructions the guests run against OpenSSL.
default rel
section .text
global gcm_crypt
%include "aes256_gcm.inc"
section .note.GNU-stack noalloc noexec nowrite progbits
