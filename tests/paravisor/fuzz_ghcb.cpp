// libFuzzer: the GHCB protocol as a hostile SEV-ES/SNP guest drives it. Input: 1 byte mode,
// 8 bytes GHCB MSR value, then up to 4096 bytes of GHCB page. Each run serves one VMGEXIT against
// a fresh 2 MiB guest whose GHCB page (and one more page) are shared. Checks: the guest's real
// registers are never changed; nothing outside the shared pages is written; a served NAE event
// that returns always carries a valid SW_EXITINFO1; the stop reasons are the protocol's.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fake_host.h"
#include "fuzz_guest_ram.h"
#include "ghcb/ghcb_page.h"
#include "ghcb/ghcb_server.h"
#include "vcpu/vcpu.h"

namespace {

constexpr uint64_t kGhcbGpa = 0x100000;
constexpr uint64_t kOtherShared = 0x101000;

pv::fuzz::GuestRam& Ram() {
  static pv::fuzz::GuestRam ram;
  return ram;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pv;  // NOLINT(google-build-using-namespace)
  if (size < 9) return 0;
  fake::Reset();
  uint8_t* ram = Ram().Fill();
  const size_t page_len = (size - 9) < 4096 ? (size - 9) : 4096;
  std::memset(ram + kGhcbGpa, 0, 4096);
  std::memcpy(ram + kGhcbGpa, data + 9, page_len);

  Vcpu vcpu;
  vcpu.memory = GuestMemory(ram, 0x4000000, pv::fuzz::GuestRam::kSize);
  vcpu.tee.mode = (data[0] & 1) ? TeeMode::kSevSnp : TeeMode::kSevEs;
  vcpu.tee.shared.Share(kGhcbGpa / kPageSize);
  vcpu.tee.shared.Share(kOtherShared / kPageSize);
  if (data[0] & 2) vcpu.tee.registered_gfn = kGhcbGpa / kPageSize;
  vcpu.memory.LimitToShared(&vcpu.tee.shared);
  std::memcpy(&vcpu.tee.ghcb_msr, data + 1, 8);
  if (data[0] & 4) vcpu.tee.ghcb_msr = kGhcbGpa;  // steer most runs at the full protocol
  for (usize i = 0; i < kGprCount; ++i) vcpu.run.gprs[i] = 0x1111111111111111ull * (i + 1);

  const ExitAction a = ghcb::ServeVmgexit(vcpu);

  for (usize i = 0; i < kGprCount; ++i) {
    if (vcpu.run.gprs[i] != 0x1111111111111111ull * (i + 1)) __builtin_trap();
  }
  // Only the two shared pages may have changed.
  if (!Ram().UnchangedExcept(kGhcbGpa, kOtherShared)) __builtin_trap();
  if (a == ExitAction::kStop) {
    const StopReason r = vcpu.stop.reason;
    if (r != StopReason::kTerminated && r != StopReason::kProtocolError &&
        r != StopReason::kHalted && r != StopReason::kExited) {
      __builtin_trap();
    }
  } else if (vcpu.tee.ghcb_msr == kGhcbGpa && (data[0] & 4)) {
    ghcb::GhcbPage page;
    std::memcpy(&page, ram + kGhcbGpa, sizeof(page));
    if (!ghcb::IsValid(page, ghcb::Field::kSwExitInfo1)) __builtin_trap();
  }
  if (vcpu.pending.valid) __builtin_trap();  // answers never inject
  return 0;
}
