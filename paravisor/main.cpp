// Paravisor entry from entry/boot.asm: bring up the CPU state the paravisor needs, enable SVM or
// VMX, run every guest image it was given, and report one machine-readable result line.
#include "arch/descriptors.h"
#include "arch/event_timer.h"
#include "arch/platform.h"
#include "arch/shared_cpu_state.h"
#include "attest/attestation_client.h"
#include "boot/multiboot.h"
#include "crypto/crypto_cpu.h"
#include "kbs/kbs_client.h"
#include "lib/cmdline.h"
#include "lib/log.h"
#include "mm/page_alloc.h"
#include "proxy/exit_proxy.h"
#include "proxy/ivshmem_pci.h"
#include "run/confidential_report.h"
#include "run/guest_runner.h"

namespace {

[[noreturn]] void Finish(bool pass, const char* why) {
  // Tell the host agent (if attached) before the machine goes away: the last exit statistics
  // and the outcome (code 0: every guest ended as expected).
  pv::proxy_client::SendLastStatistics();
  pv::proxy_client::SendGuestStopped(0, pass ? 0 : 1);
  pv::proxy_client::Detach();
  pv::Log("PV-RESULT: %s %s", pass ? "PASS" : "FAIL", why);
  pv::arch::EndRun(pass ? pv::arch::RunResult::kPass : pv::arch::RunResult::kFail);
}

}  // namespace

extern "C" [[noreturn]] void pv_main(pv::u32 magic, pv::u32 info_pa) {
  using namespace pv;
  arch::InitDescriptors();
  arch::MaskLegacyInterrupts();
  arch::EnableExtendedStateControl();
  // SSE, the FS-based stack-protector canary: before the backends copy CR0/CR4/FS base.
  crypto::InitCryptoCpu();
#ifdef PV_TEST_BUILD
  Log("paravisor (test image) starting");
#else
  Log("paravisor starting");
#endif

  const Result<boot::BootInfo> boot = boot::ParseMultiboot(magic, info_pa);
  if (!boot.ok()) Finish(false, boot.status().message());
  const Cmdline cmdline(boot.value().cmdline);
  mm::InitPageAllocator(boot.value());
  Log("memory: %lu MiB free for guests and paravisor structures",
      (mm::FreePageCount() * kPageSize) >> 20);
#ifdef PV_TEST_BUILD
  // Proves the exception path: a fault inside the paravisor must end in a register dump and
  // RunResult::kPanic, never a silent triple fault or a hang.
  if (cmdline.Has("selftest-fault")) asm volatile("ud2");
#endif

  // SVM or VMX, whichever this CPU has (run/guest_runner.h).
  HostVirtualization virt;
  if (const Status enabled = EnableHostVirtualization(&virt); !enabled.ok()) {
    Finish(false, enabled.message());
  }
  ReportConfidentialHardware();
  if (const Status proxy = proxy_client::InitExitProxy(cmdline); !proxy.ok()) {
    Finish(false, proxy.message());
  }
  if (const Status attest = attest::InitAttestation(cmdline); !attest.ok()) {
    Finish(false, attest.message());
  }
  if (const Status kbs = kbs_client::InitKbsClient(cmdline); !kbs.ok())
    Finish(false, kbs.message());

  if (boot.value().module_count == 0) {
    Finish(false, "no guest image: pass one as a multiboot module (QEMU: -initrd guest.bin)");
  }
  const Result<u64> mem_bytes = GuestMemoryBytes(cmdline);
  if (!mem_bytes.ok()) Finish(false, mem_bytes.status().message());
  // The time source for guest budgets and HLT (after the page allocator: it maps the APIC).
  if (const Status timer = arch::StartEventTimer(); !timer.ok()) Finish(false, timer.message());
  const RunSummary summary = RunGuests(boot.value(), mem_bytes.value(), virt);
  char why[64];
  Format(why, sizeof(why), "%u/%u guests ended as expected", summary.as_expected, summary.guests);
  Finish(summary.as_expected == summary.guests, why);
}
