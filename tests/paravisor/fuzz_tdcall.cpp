// libFuzzer: TDCALL as a hostile TDX guest drives it. Input: the 16 GPRs (8 bytes each; RAX's
// low byte picks the leaf among the defined ones and a few others), then bytes for the guest's
// shared page. Each run serves one TDCALL against a fresh 2 MiB guest with one shared page.
// R9's bit 0 gives the guest a TD module behind the attestation seam (fake_host.h), bit 1 steers
// TDG.MR.REPORT's buffers to a private page. Checks: only the shared page (and, after a
// successful TDG.MR.REPORT, the TDREPORT's 1024 bytes at RCX) may change; a VMCALL changes RAX and
// exposed registers only; RAX is a status the ABI defines; nothing is injected.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fake_host.h"
#include "fuzz_guest_ram.h"
#include "ghci/tdcall.h"
#include "ghci/tdcall_server.h"
#include "vcpu/vcpu.h"

namespace {

constexpr uint64_t kShared = 0x101000;
constexpr uint64_t kPrivate = 0x100000;

pv::fuzz::GuestRam& Ram() {
  static pv::fuzz::GuestRam ram;
  return ram;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pv;  // NOLINT(google-build-using-namespace)
  constexpr size_t kRegisterBytes = 16 * sizeof(uint64_t);
  if (size < kRegisterBytes) return 0;
  fake::Reset();
  uint8_t* ram = Ram().Fill();
  const size_t page_len = (size - kRegisterBytes) < 4096 ? (size - kRegisterBytes) : 4096;
  std::memcpy(ram + kShared, data + kRegisterBytes, page_len);

  Vcpu vcpu;
  vcpu.memory = GuestMemory(ram, 0x4000000, pv::fuzz::GuestRam::kSize);
  vcpu.tee.mode = TeeMode::kTdx;
  vcpu.tee.shared.Share(kShared / kPageSize);
  vcpu.memory.LimitToShared(&vcpu.tee.shared);
  std::memcpy(vcpu.run.gprs, data, kRegisterBytes);
  vcpu.run.gprs[kRax] &= 0xff;  // mostly defined leaves, some not
  // Steer the VMCALL's arguments toward the shared page and the RAM now and then.
  if (vcpu.run.gprs[kR12] & 1)
    vcpu.run.gprs[kR12] = kShared | (vcpu.run.gprs[kR12] & ghci::kSharedBit);
  fake::TdxModule().available = (vcpu.run.gprs[kR9] & 1) != 0;
  if (vcpu.run.gprs[kRax] == ghci::leaf::kMrReport && (vcpu.run.gprs[kR9] & 2) != 0) {
    vcpu.run.gprs[kRcx] = kPrivate + (vcpu.run.gprs[kRcx] & 0xc00);
    vcpu.run.gprs[kRdx] = kPrivate + (vcpu.run.gprs[kRdx] & 0xfc0);
  }
  u64 before[kGprCount];
  std::memcpy(before, vcpu.run.gprs, sizeof(before));

  const ExitAction a = ghci::ServeTdcall(vcpu);

  const bool reported =
      before[kRax] == ghci::leaf::kMrReport && vcpu.run.gprs[kRax] == ghci::status::kSuccess;
  if (reported && (before[kRcx] % 1024 != 0 || before[kRcx] >= pv::fuzz::GuestRam::kSize)) {
    __builtin_trap();
  }
  if (!Ram().UnchangedExcept(kShared, reported ? before[kRcx] & ~0xfffull : kShared)) {
    __builtin_trap();
  }
  if (vcpu.pending.valid) __builtin_trap();
  if (a == ExitAction::kStop) {
    if (vcpu.stop.reason != StopReason::kTerminated && vcpu.stop.reason != StopReason::kExited) {
      __builtin_trap();
    }
    return 0;
  }
  const u64 rax = vcpu.run.gprs[kRax];
  if (rax != ghci::status::kSuccess && rax != ghci::status::kOperandInvalid &&
      rax != ghci::status::kNoValidVeInfo) {
    __builtin_trap();
  }
  if (before[kRax] == ghci::leaf::kVpVmcall) {
    const u64 exposed = before[kRcx] & ghci::kExposableMask;
    for (usize i = 1; i < kGprCount; ++i) {
      if (((exposed >> i) & 1) == 0 && vcpu.run.gprs[i] != before[i]) __builtin_trap();
    }
  }
  return 0;
}
