// A vCPU with real guest memory (a host buffer) set up the way the paravisor boots a guest, for
// handler tests: 16 MiB of RAM with the boot page tables, long mode, CPL 0.
#ifndef PV_TESTS_PARAVISOR_GUEST_FIXTURE_H_
#define PV_TESTS_PARAVISOR_GUEST_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "fake_host.h"
#include "guest/boot_state.h"
#include "guest/loader.h"
#include "vcpu/vcpu.h"

namespace pv {

// An exit of `reason` with every other field at its default.
inline Exit MakeExit(ExitReason reason) {
  Exit e;
  e.reason = reason;
  return e;
}

class GuestFixture : public ::testing::Test {
 protected:
  static constexpr u64 kRam = 16ull << 20;

  void SetUp() override {
    fake::Reset();
    ram_.assign(kRam, 0);
    vcpu_.memory = GuestMemory(ram_.data(), 0x4000000, kRam);
    const u8 code[] = {0x90};
    auto image = LoadGuestImage(vcpu_.memory, code, sizeof(code));
    ASSERT_TRUE(image.ok());
    auto entry = WriteGuestBootState(vcpu_.memory, image.value(), "test");
    ASSERT_TRUE(entry.ok());
    vcpu_.set_rip(entry.value().rip);
    vcpu_.set_reg(Reg::kCr0, entry.value().cr0);
    vcpu_.set_reg(Reg::kCr3, entry.value().cr3);
    vcpu_.set_reg(Reg::kCr4, entry.value().cr4);
    vcpu_.set_efer(entry.value().efer | (1ull << 12));
    vcpu_.set_pat(entry.value().pat);
    vcpu_.set_reg(Reg::kRflags, 2);
  }

  // Places instruction bytes at the current RIP.
  void PlaceCode(std::vector<u8> bytes) {
    std::memcpy(ram_.data() + vcpu_.rip(), bytes.data(), bytes.size());
  }

  std::vector<u8> ram_;
  Vcpu vcpu_;
};

}  // namespace pv

#endif  // PV_TESTS_PARAVISOR_GUEST_FIXTURE_H_
