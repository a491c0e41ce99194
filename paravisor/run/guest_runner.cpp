#include "run/guest_runner.h"

#include "arch/cpu.h"
#include "arch/event_timer.h"
#include "arch/registers.h"
#include "arch/shared_cpu_state.h"
#include "arch/tsc.h"
#include "attest/attestation_client.h"
#include "crypto/aes_gcm.h"
#include "exits/encrypted_exit.h"
#include "exits/guest_interrupts.h"
#include "exits/handlers.h"
#include "exits/msr_policy.h"
#include "guest/abi.h"
#include "guest/boot_state.h"
#include "guest/linux_module.h"
#include "guest/loader.h"
#include "guest/mp_table.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "svm/svm_vcpu.h"
#include "testing/hooks.h"
#include "vmx/vmx_vcpu.h"

namespace pv {
namespace {

constexpr u64 kDefaultGuestMiB = 16;
constexpr u64 kMinGuestMiB = 2;
constexpr u64 kMaxGuestMiB = 1024;
// A guest's time budget unless its module string says `budget_ms=`: long enough for every
// healthy test guest under a loaded emulator, short enough that a stuck one cannot stall a run.
constexpr u64 kDefaultBudgetMs = 60000;
constexpr u64 kMaxBudgetMs = 3600000;
// Kernel parameters the paravisor puts before a Linux guest's own (README "Linux guests"); the
// TSC rate in kHz follows the prefix.
constexpr char kLinuxPlatformParamsPrefix[] = "noapic pci=off reboot=t tsc_early_khz=";

// Whether the host has IA32_SPEC_CTRL (Intel: CPUID.7.0:EDX[26]; AMD: CPUID.80000008:EBX[14]).
// The test image's stand-in (TSC_AUX) exists on every platform it runs on.
bool SpecCtrlPresent() {
#ifdef PV_TEST_BUILD
  return true;
#else
  const bool intel = arch::Cpuid(0).eax >= 7 && (arch::Cpuid(7, 0).edx & (1u << 26));
  const bool amd =
      arch::Cpuid(0x80000000).eax >= 0x80000008 && (arch::Cpuid(0x80000008).ebx & (1u << 14));
  return intel || amd;
#endif
}

// The outcome as a word the `expect=` option can name: exit<N>, halted, shutdown, npf, ...
void OutcomeWord(const Vcpu& vcpu, char* buf, usize size) {
  if (vcpu.stop.reason == StopReason::kExited) {
    Format(buf, size, "exit%lu", vcpu.stop.code);
  } else {
    Format(buf, size, "%s", StopReasonName(vcpu.stop.reason));
  }
}

bool OutcomeAsExpected(const char* outcome, const Cmdline& guest_cmdline) {
  StrView expect;
  if (!guest_cmdline.Get("expect", &expect)) {
    return StrView{outcome, strlen(outcome)}.Equals("exit0") ||
           StrView{outcome, strlen(outcome)}.Equals("halted");
  }
  return expect.Equals(outcome);
}

void ReportStats(const Vcpu& vcpu) {
  char line[200];
  usize n =
      Format(line, sizeof(line), "guest %u: %lu exits:", vcpu.guest_index, vcpu.stats.Total());
  for (usize r = 0; r < static_cast<usize>(ExitReason::kCount) && n < sizeof(line); ++r) {
    if (vcpu.stats.by_reason[r] == 0) continue;
    n += Format(line + n, sizeof(line) - n, " %s=%lu", ExitReasonName(static_cast<ExitReason>(r)),
                vcpu.stats.by_reason[r]);
  }
  Log("%s", line);
  const GuestInterruptState& irq = vcpu.irq;
  if (irq.enabled) {
    const u64 span_ms = (irq.last_injection_tsc - irq.first_injection_tsc) / arch::TscTicksPerMs();
    Log("guest %u: %lu interrupts injected (local APIC timer %lu, PIC %lu) over %lu ms: %lu timer "
        "interrupts/s",
        vcpu.guest_index, irq.injected, irq.injected_timer, irq.injected_pic, span_ms,
        span_ms == 0 ? 0 : irq.injected_timer * 1000 / span_ms);
  }
}

// Runs one guest; true if it ended as expected (and its test scenario, if any, passed).
const u8* ModuleBytes(u64 pa) {
  return mm::PhysToVirt<u8>(pa);
}

// The guest's memory filled and its entry state built: the Linux boot protocol for a module
// marked `linux`, the guest ABI's ELF/flat loader otherwise.
Result<GuestEntryState> PrepareGuest(Vcpu& vcpu, const boot::BootInfo& boot, u32 index,
                                     const Cmdline& options, const char* kernel_cmdline) {
  const boot::Module& module = boot.modules[index];
  if (options.Has("linux")) {
    PV_TRY_ASSIGN(const boot::Module* initrd, linux_boot::FindInitrdModule(boot, index, options));
    // What the partition's platform is, told on the command line ahead of the user's text (which
    // can override it): no I/O APIC; no PCI bus (no configuration space to probe); reboot by
    // triple fault (there is no keyboard controller or ACPI reset register); the TSC rate, so
    // Linux needs no PIT calibration.
    const u32 tsc_khz = static_cast<u32>(arch::TscHz() / 1000);
    static char cmdline[linux_boot::kCmdlineMax + 64];
    Format(cmdline, sizeof(cmdline), "%s%u %s", kLinuxPlatformParamsPrefix, tsc_khz,
           kernel_cmdline);
    linux_boot::LinuxBootInputs in{ModuleBytes(module.start), module.end - module.start, nullptr, 0,
                                   cmdline};
    if (initrd != nullptr) {
      in.initrd = ModuleBytes(initrd->start);
      in.initrd_size = initrd->end - initrd->start;
    }
    linux_boot::LinuxBootLayout layout;
    PV_TRY_ASSIGN(const GuestEntryState entry,
                  linux_boot::WriteLinuxBootState(vcpu.memory, in, &layout));
    PV_TRY(mp_table::WriteMpTables(vcpu.memory));
    EnableGuestInterruptControllers(vcpu, tsc_khz);
    Log("guest %u: Linux bzImage at 0x%lx..0x%lx, entry 0x%lx, initrd 0x%lx (%lu bytes), "
        "cmdline \"%s\"",
        index, layout.kernel_load, layout.kernel_end, entry.rip, layout.initrd_start,
        layout.initrd_size, in.cmdline);
    return entry;
  }
  // `platform=pc`: a guest of the paravisor's own ABI gets the interrupt controllers and legacy
  // devices a Linux guest gets (guests/apic_timer.asm tests their delivery on every backend).
  StrView platform;
  if (options.Get("platform", &platform)) {
    if (!platform.Equals("pc")) return Status(Err::kInvalidArgument, "platform: only `pc` exists");
    EnableGuestInterruptControllers(vcpu, static_cast<u32>(arch::TscHz() / 1000));
  }
  PV_TRY_ASSIGN(const LoadedImage image,
                LoadGuestImage(vcpu.memory, ModuleBytes(module.start), module.end - module.start));
  PV_TRY_ASSIGN(const GuestEntryState entry,
                WriteGuestBootState(vcpu.memory, image, module.cmdline));
  Log("guest %u: %s image, entry 0x%lx, loaded 0x%lx..0x%lx", index, image.elf ? "ELF" : "flat",
      image.entry, image.start, image.end);
  return entry;
}

// `tee=sev-es|sev-snp|tdx` in the module string: the encrypted-state guest mode
// (vcpu/encrypted_state.h). SEV-ES/SNP needs the SVM backend (VMGEXIT arrives as VMMCALL, which
// raises #UD on VMX); TDX runs on both (TDCALL raises #UD on either).
Result<TeeMode> GuestTeeMode(const Cmdline& options, Backend backend) {
  StrView tee;
  if (!options.Get("tee", &tee) || tee.Equals("none")) return TeeMode::kNone;
  TeeMode mode;
  if (tee.Equals("sev-es")) {
    mode = TeeMode::kSevEs;
  } else if (tee.Equals("sev-snp")) {
    mode = TeeMode::kSevSnp;
  } else if (tee.Equals("tdx")) {
    return TeeMode::kTdx;
  } else {
    return Status(Err::kInvalidArgument, "tee: expected none, sev-es, sev-snp or tdx");
  }
  if (backend != Backend::kSvm) {
    return Status(Err::kUnsupported,
                  "tee=sev-es/sev-snp needs the SVM backend (VMGEXIT exits as VMMCALL)");
  }
  return mode;
}

// Written before the guest's memory becomes private; the page is the guest's own.
void ProvideGuestSecretsPage(Vcpu& vcpu, u32 index) {
  static u8 page[kPageSize];
  if (!attest::TakeGuestSecretsPage(page)) return;
  const Status w = vcpu.memory.WriteGpa(abi::kGuestSecretsPageGpa, page, sizeof(page));
  crypto::SecureZero(page, sizeof(page));
  Log("guest %u: guest secrets page (VMPCK2, VMPCK3) at 0x%lx%s", index, abi::kGuestSecretsPageGpa,
      w.ok() ? "" : ": not writable, none given");
}

bool RunOne(u32 index, const boot::BootInfo& boot, u64 mem_bytes, const HostVirtualization& virt) {
  const boot::Module& module = boot.modules[index];
  linux_boot::ModuleString parts;
  linux_boot::SplitModuleString(module.cmdline, &parts);
  const Cmdline guest_cmdline(parts.options);
  Log("guest %u: image %lu bytes at 0x%lx, %lu MiB RAM, cmdline \"%s\"", index,
      module.end - module.start, module.start, mem_bytes >> 20, module.cmdline);

  const Result<u64> ram = mm::AllocPages(mem_bytes / kPageSize, kLargePageSize / kPageSize);
  if (!ram.ok()) {
    Log("guest %u: cannot allocate %lu MiB of guest RAM: %s", index, mem_bytes >> 20,
        ram.status().message());
    return false;
  }
  Vcpu vcpu;
  vcpu.guest_index = index;
  vcpu.memory = GuestMemory(mm::PhysToVirt<u8>(ram.value()), ram.value(), mem_bytes);
  svm::SvmVcpu svm;
  vmx::VmxVcpu vmx;
  const bool use_vmx = virt.backend == Backend::kVmx;
  bool ok = false;
  do {
    const Result<GuestEntryState> entry =
        PrepareGuest(vcpu, boot, index, guest_cmdline, parts.kernel_cmdline);
    if (!entry.ok()) {
      Log("guest %u: image rejected: %s", index, entry.status().message());
      break;
    }
    const Result<TeeMode> tee = GuestTeeMode(guest_cmdline, virt.backend);
    if (!tee.ok()) {
      Log("guest %u: %s", index, tee.status().message());
      break;
    }
    vcpu.tee.mode = tee.value();
    if (vcpu.tee.mode == TeeMode::kSevSnp) ProvideGuestSecretsPage(vcpu, index);
    const Status setup =
        use_vmx ? vmx::SetupVmxVcpu(vcpu, vmx, virt.vmx_caps, entry.value())
                : svm::SetupSvmVcpu(vcpu, svm, virt.svm_caps, virt.svm_host, entry.value());
    if (!setup.ok()) {
      Log("guest %u: vCPU setup: %s", index, setup.message());
      break;
    }
    if (vcpu.tee.enabled()) {
      // From here on the guest's memory is private except what it shares.
      vcpu.memory.LimitToShared(&vcpu.tee.shared);
      Log("guest %u: encrypted-state guest mode %s: registers and private memory are not read",
          index, TeeModeName(vcpu.tee.mode));
    }
    vcpu.run.spec_ctrl_present = SpecCtrlPresent();
    if (vcpu.run.spec_ctrl_present) vcpu.run.host_spec_ctrl = arch::Rdmsr(kSpecCtrlMsr);
    // Nothing a previous guest (or the boot firmware) left in registers no world switch swaps
    // may reach this one: FPU/SSE/AVX and all XSAVE state, XCR0, debug registers, CR2, CR8.
    arch::ResetSharedCpuState();
    vcpu.xcr0 = arch::kXcr0GuestInitial & arch::HostXcr0Supported();
    // A Linux guest is an operating system meant to keep running: its default budget is the
    // longest one (its own power-off or reboot ends it long before).
    const u64 budget_ms = guest_cmdline.GetU64(
        "budget_ms", guest_cmdline.Has("linux") ? kMaxBudgetMs : kDefaultBudgetMs);
    if (budget_ms == 0 || budget_ms > kMaxBudgetMs) {
      Log("guest %u: budget_ms=%lu is outside 1..%lu", index, budget_ms, kMaxBudgetMs);
      break;
    }
    vcpu.budget_deadline_tsc = arch::Rdtsc() + budget_ms * arch::TscTicksPerMs();
    Log("guest %u: time budget %lu ms", index, budget_ms);
    testing::OnGuestStart(vcpu, guest_cmdline);
#ifdef PV_TEST_BUILD
    StrView fault;
    if (use_vmx && guest_cmdline.Get("vmx_fault", &fault) && !vmx::ApplyTestFault(vmx, fault)) {
      Log("guest %u: unknown vmx_fault kind", index);
      break;
    }
#endif

    if (use_vmx) {
      vmx::RunVmxVcpu(vcpu);
    } else {
      svm::RunSvmVcpu(vcpu);
    }

    ConsoleFlush(vcpu);
    char outcome[32];
    OutcomeWord(vcpu, outcome, sizeof(outcome));
    Log("guest %u: stopped: %s (%s), code 0x%lx, detail 0x%lx, at RIP 0x%lx", index, outcome,
        vcpu.stop.message, vcpu.stop.code, vcpu.stop.detail, vcpu.stop.rip);
    ReportStats(vcpu);
    ReportEncryptedState(vcpu);
    const bool expected = OutcomeAsExpected(outcome, guest_cmdline);
    const bool scenario_ok = testing::CheckAfterStop(vcpu);
    if (!expected) Log("guest %u: outcome %s is not what was expected", index, outcome);
    ok = expected && scenario_ok;
  } while (false);

  if (use_vmx) {
    vmx::TeardownVmxVcpu(vcpu, vmx);
  } else {
    svm::TeardownSvmVcpu(svm);
  }
  mm::FreePages(ram.value(), mem_bytes / kPageSize);
  return ok;
}

}  // namespace

Status EnableHostVirtualization(HostVirtualization* virt) {
  const bool svm_present =
      arch::Cpuid(0x80000000).eax >= 0x80000001 && (arch::Cpuid(0x80000001).ecx & (1u << 2)) != 0;
  if (svm_present || !vmx::VmxPresent()) {
    const Result<svm::Capabilities> caps = svm::EnableSvm(&virt->svm_host);
    if (!caps.ok()) {
      return svm_present ? caps.status()
                         : Status(Err::kUnsupported,
                                  "CPU has neither SVM nor VMX (QEMU: -cpu qemu64,+svm,+npt; "
                                  "Bochs: cpu model=ryzen or corei7_skylake_x)");
    }
    virt->backend = Backend::kSvm;
    virt->svm_caps = caps.value();
    Log("svm: revision %u, %u ASIDs, nested paging %s, NRIP save %s", caps.value().revision,
        caps.value().asid_count, caps.value().nested_paging ? "yes" : "no",
        caps.value().nrip_save ? "yes" : "no (RIP advance by instruction decode)");
    return Status::Ok();
  }
  const Result<vmx::Capabilities> caps = vmx::EnableVmx(&virt->vmx_host);
  if (!caps.ok()) return caps.status();
  virt->backend = Backend::kVmx;
  virt->vmx_caps = caps.value();
  const vmx::Controls& c = caps.value().controls;
  Log("vmx: VMCS revision 0x%x, %s controls, EPT caps 0x%lx; pin 0x%x proc 0x%x proc2 0x%x "
      "exit 0x%x entry 0x%x",
      caps.value().revision, caps.value().true_controls ? "TRUE" : "default",
      caps.value().ept_vpid_cap, c.pin, c.proc, c.proc2, c.exit, c.entry);
  return Status::Ok();
}

Result<u64> GuestMemoryBytes(const Cmdline& cmdline) {
  StrView text;
  if (!cmdline.Get("guest_mem", &text)) return kDefaultGuestMiB << 20;
  u64 mib = 0;
  if (!ParseU64(text, &mib)) {
    return Status(Err::kInvalidArgument, "guest_mem: not a number of MiB (expected 2..1024)");
  }
  if (mib < kMinGuestMiB || mib > kMaxGuestMiB) {
    return Status(Err::kOutOfRange, "guest_mem: outside 2..1024 MiB");
  }
  return AlignUp(mib << 20, kLargePageSize);
}

RunSummary RunGuests(const boot::BootInfo& boot, u64 mem_bytes, const HostVirtualization& virt) {
  RunSummary summary;
  for (usize i = 0; i < boot.module_count; ++i) {
    linux_boot::ModuleString parts;
    linux_boot::SplitModuleString(boot.modules[i].cmdline, &parts);
    if (linux_boot::IsDataModule(Cmdline(parts.options))) continue;  // another guest's initrd
    ++summary.guests;
    if (RunOne(static_cast<u32>(i), boot, mem_bytes, virt)) ++summary.as_expected;
  }
  return summary;
}

}  // namespace pv
