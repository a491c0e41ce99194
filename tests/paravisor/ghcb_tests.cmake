# Encrypted-state guests: the GHCB protocol (label `ghcb`) and, below, GHCI (label `ghci`):
# SEV-ES/SNP test guests with real #VC handlers (paravisor/guests/ghcb_*.asm) on QEMU SVM and
# Bochs SVM (ryzen), production image. Two boots per platform (a boot holds at most 8 guests):
#   protocol  hello through #VC + GHCB IOIO/CPUID/VMMCALL and the MSR protocol (SEV-ES and SNP),
#             the exits suite, every malformed request refused with its GHCB error (the guest
#             carries on), termination requests (MSR protocol and NAE), a plain guest after them
#   stops     protocol violations no answer exists for (GHCB beyond RAM, in a private page, not
#             registered on SNP, an undefined MSR-protocol code): each guest is stopped and the
#             next one runs
set(ghcb_protocol_modules
    "ghcb_hello.bin tee=sev-es" "ghcb_hello.bin tee=sev-snp" "ghcb_exits.bin tee=sev-es"
    "ghcb_refusals.bin tee=sev-es" "ghcb_refusals.bin tee=sev-snp"
    "ghcb_stop_terminate.bin tee=sev-es expect=terminated"
    "ghcb_stop_terminate_nae.bin tee=sev-snp expect=terminated" "hello.bin")
set(ghcb_protocol_expect
    "guest 0: encrypted-state guest mode sev-es"
    "\\[guest\\] ghcb_hello: CPUID 0x40000000 through the GHCB says: PvParavisor!"
    "\\[guest\\] ghcb_hello: MSR-protocol CPUID agrees"
    "\\[guest\\] ghcb_hello: one REP OUTSB through the GHCB shared buffer"
    "tee: guest 1: sev-snp: [1-9][0-9]* exits reflected as #VC, [1-9][0-9]* VMGEXITs served, 0 refused"
    "\\[guest\\] ghcb_exits: every step passed"
    "guest 2: [0-9]+ exits: cpuid=[1-9].* io=[1-9].* msr-read=[1-9].* msr-write=[1-9].* hypercall=[1-9].* cache-invalidate=2"
    "ghcb: guest 3: NAE event refused: CPUID needs RAX and RCX"
    "ghcb: guest 3: NAE event refused: string IOIO count does not fit the buffer"
    "ghcb: guest 3: NAE event refused: string IOIO data outside the GHCB shared buffer"
    "ghcb: guest 3: NAE event refused: NAE event the paravisor does not serve"
    "ghcb: guest 3: NAE event refused: GHCB usage is not 0"
    "\\[guest\\] ghcb_refusals: every malformed request refused, guest healthy"
    "guest 4: stopped: exit0"
    "ghcb: guest 5: termination request, reason set 1 code 0x42"
    "ghcb: guest 6: termination request, reason set 2 code 0x17"
    "guest 7: stopped: exit0" "8/8 guests ended as expected")
set(ghcb_stops_modules
    "ghcb_stop_bad_gpa.bin tee=sev-es expect=protocol-error" "hello.bin"
    "ghcb_stop_private.bin tee=sev-es expect=protocol-error" "hello.bin"
    "ghcb_stop_unregistered.bin tee=sev-snp expect=protocol-error" "hello.bin"
    "ghcb_stop_unknown_msr.bin tee=sev-es expect=protocol-error"
    "ghcb_hello.bin tee=sev-es")
set(ghcb_stops_expect
    "ghcb: guest 0: GHCB GPA outside guest RAM: stopped" "guest 1: stopped: exit0"
    "ghcb: guest 2: GHCB page is not shared" "guest 3: stopped: exit0"
    "ghcb: guest 4: GHCB GPA not registered \\(SEV-SNP requires registration\\)"
    "guest 5: stopped: exit0"
    "ghcb: guest 6: MSR-protocol request the protocol does not define"
    "\\[guest\\] ghcb_hello: done" "8/8 guests ended as expected")
# QEMU 7.2 TCG delivers an injected #VC without its error code, Bochs with it: the guests' handler
# takes both paths (ghcb_guest.inc), and each platform must show the one it took.
set(ghcb_no_error_code "this platform delivers #VC without its error code")
foreach(family protocol stops)
  pv_firmware_test(ghcb_${family}_qemu_svm paravisor LABELS "ghcb;svm"
    MODULES ${ghcb_${family}_modules} EXPECT ${ghcb_${family}_expect} ${ghcb_no_error_code}
    FORBID "PANIC")
  pv_bochs_test(ghcb_${family}_bochs_svm paravisor svm
    MODULES ${ghcb_${family}_modules} EXPECT ${ghcb_${family}_expect}
    FORBID "PANIC" ${ghcb_no_error_code})
  set_tests_properties(ghcb_${family}_bochs_svm PROPERTIES LABELS "ghcb;svm;bochs")
endforeach()
# On VMX VMGEXIT (VMMCALL) raises #UD instead of exiting: an SEV-ES guest needs the SVM backend,
# and the paravisor says so and runs the next guest.
pv_bochs_test(ghcb_refused_on_vmx paravisor vmx RESULT FAIL
  MODULES "ghcb_hello.bin tee=sev-es" "hello.bin"
  EXPECT "guest 0: tee=sev-es/sev-snp needs the SVM backend" "guest 1: stopped: exit0"
         "1/2 guests ended as expected")
set_tests_properties(ghcb_refused_on_vmx PROPERTIES LABELS "ghcb;vmx;bochs")

# --- TDX guests speaking GHCI (label `ghci`): tee=tdx on QEMU SVM, Bochs VMX and Bochs SVM ------
# TDCALL raises #UD on all three; the paravisor serves it. One boot per platform: hello through
# #VE + TDG.VP.VMCALL, the exits suite (every refusal answered with its status: bad leaf, bad
# exposure, unknown sub-function, misaligned MapGPA, private GetQuote buffer, no VE info, bad RTMR
# index, TDG.MR.REPORT, bad notification vector; a real #UD reaches the guest), a fatal-error
# report, a plain guest. RTMR2 after its one extension with bytes 1..48 is
# SHA-384(48 zero bytes || 01..30), computed independently (Python hashlib).
set(ghci_modules "tdx_hello.bin tee=tdx" "tdx_exits.bin tee=tdx"
    "tdx_fatal.bin tee=tdx expect=terminated" "hello.bin")
set(ghci_expect
    "guest 0: encrypted-state guest mode tdx"
    "\\[guest\\] tdx_hello: CPUID 0x40000000 through TDG.VP.VMCALL says: PvParavisor!"
    "\\[guest\\] tdx_hello: TDG.VP.INFO: GPAW 48, 1 vCPU" "guest 0: stopped: exit0"
    "ghci: guest 1: TDCALL refused: leaf the paravisor does not serve"
    "ghci: guest 1: TDG.VP.VMCALL refused: RCX exposes RAX"
    "ghci: guest 1: GetQuote refused: no quoting service"
    "\\[guest\\] tdx_exits: every step passed"
    "guest 1: [0-9]+ exits: cpuid=[1-9].* io=[1-9].* msr-read=[1-9].* msr-write=[1-9]"
    "tee: guest 1: RTMR2 d354e1d2a255d3ddf046cb8f87880e2e019a15decda18d7087957c94608dacee702296f19c4d03209f96303513f0d69b"
    "ghci: guest 2: ReportFatalError, error code 0x1234" "guest 2: stopped: terminated"
    "guest 3: stopped: exit0" "4/4 guests ended as expected")
pv_firmware_test(ghci_qemu_svm paravisor LABELS "ghci;svm"
  MODULES ${ghci_modules} EXPECT ${ghci_expect} FORBID "PANIC")
foreach(kind vmx svm)
  pv_bochs_test(ghci_bochs_${kind} paravisor ${kind}
    MODULES ${ghci_modules} EXPECT ${ghci_expect} FORBID "PANIC")
  set_tests_properties(ghci_bochs_${kind} PROPERTIES LABELS "ghci;${kind};bochs")
endforeach()
