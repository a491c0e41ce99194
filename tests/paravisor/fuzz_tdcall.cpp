// libFuzzer: TDCALL as a hostile TDX guest drives it. Input: the 16 GPRs (8 bytes each; RAX's
// low byte picks the leaf among the defined ones and a few others), then bytes for the guest's
// shared page. Each run serves one TDCALL against a fresh 2 MiB guest with one shared page.
// Checks: only the shared page may change; a VMCALL changes RAX and exposed registers only;
// RAX is a status the ABI defines; nothing is injected.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fake_host.h"
#include "ghci/tdcall.h"
#include "ghci/tdcall_server.h"
#include "vcpu/vcpu.h"

namespace {

constexpr uint64_t kRam = 2ull << 20;
constexpr uint64_t kShared = 0x101000;

std::vector<uint8_t>& Ram() {
  static std::vector<uint8_t> ram(kRam);
  return ram;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pv;  // NOLINT(google-build-using-namespace)
  constexpr size_t kRegisterBytes = 16 * sizeof(uint64_t);
  if (size < kRegisterBytes) return 0;
  fake::Reset();
  std::vector<uint8_t>& ram = Ram();
  std::memset(ram.data(), 0x5a, ram.size());
  const size_t page_len = (size - kRegisterBytes) < 4096 ? (size - kRegisterBytes) : 4096;
  std::memcpy(ram.data() + kShared, data + kRegisterBytes, page_len);

  Vcpu vcpu;
  vcpu.memory = GuestMemory(ram.data(), 0x4000000, kRam);
  vcpu.tee.mode = TeeMode::kTdx;
  vcpu.tee.shared.Share(kShared / kPageSize);
  vcpu.memory.LimitToShared(&vcpu.tee.shared);
  std::memcpy(vcpu.run.gprs, data, kRegisterBytes);
  vcpu.run.gprs[kRax] &= 0xff;  // mostly defined leaves, some not
  // Steer the VMCALL's arguments toward the shared page and the RAM now and then.
  if (vcpu.run.gprs[kR12] & 1)
    vcpu.run.gprs[kR12] = kShared | (vcpu.run.gprs[kR12] & ghci::kSharedBit);
  u64 before[kGprCount];
  std::memcpy(before, vcpu.run.gprs, sizeof(before));

  const ExitAction a = ghci::ServeTdcall(vcpu);

  for (uint64_t gpa = 0; gpa < kRam; gpa += 4096) {
    if (gpa == kShared) continue;
    const uint8_t* p = ram.data() + gpa;
    if (p[0] != 0x5a || std::memcmp(p, p + 1, 4095) != 0) __builtin_trap();
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
