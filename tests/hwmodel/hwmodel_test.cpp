// The hardware-model tests (label hwmodel). All of them run the world-switch routines' real
// object code, found by symbol in paravisor.elf / paravisor-test.elf or in a test-only mutant.
//  1. Validation: the model reproduces what the QEMU and Bochs runs of the SVM and VMX switches
//     show (GPR round trip, SPEC_CTRL values and counters), before it is trusted for the rest.
//  2. Properties over 10,000 randomized runs of each switch, SVM, VMX, SEV-ES and TDX.
//  3. Mutation: every deliberately broken variant is caught.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <tuple>

#include "elf_image.h"
#include "switch_checks.h"
#include "testing/test_abi.h"

namespace hwmodel {
namespace {

constexpr int kPropertyRuns = 10000;
constexpr int kMutantRuns = 200;  // each mutant must fail within this many random runs
constexpr ImageKind kProduction{0x48, false};
constexpr ImageKind kTestImage{0xc0000103, true};  // TSC_AUX stand-in, counters on

const ElfImage& Load(const std::string& path) {
  static std::map<std::string, ElfImage> images;
  auto it = images.find(path);
  if (it == images.end()) {
    ElfImage image;
    std::string error;
    if (!LoadElf(path, &image, &error)) {
      (void)std::fprintf(stderr, "hwmodel: %s\n", error.c_str());
      std::abort();
    }
    it = images.emplace(path, std::move(image)).first;
  }
  return it->second;
}

const ElfImage& Production() {
  return Load(PV_HWMODEL_PRODUCTION_ELF);
}
const ElfImage& TestImage() {
  return Load(PV_HWMODEL_TEST_ELF);
}

std::string Join(const Violations& v) {
  std::string s;
  for (const std::string& x : v) s += "\n  " + x;
  return s;
}

using RunOnce = Violations (*)(const ElfImage&, ImageKind, std::mt19937_64&);
using RunFixed = Violations (*)(const ElfImage&, ImageKind, std::mt19937_64&, const FixedRun*);
Violations Svm(const ElfImage& i, ImageKind k, std::mt19937_64& r) {
  return RunSvmOnce(i, k, r);
}
Violations Vmx(const ElfImage& i, ImageKind k, std::mt19937_64& r) {
  return RunVmxOnce(i, k, r);
}

// ---- 1. validation against the emulator runs -------------------------------------------------

// tests/paravisor's GPR round trip: 15 patterns out (testing::GprPattern), complements back.
FixedRun GprRoundTrip() {
  FixedRun f;
  for (unsigned r = 0; r < 16; ++r) {
    f.guest_in[r] = pv::testing::GprPattern(r);
    f.guest_out[r] = ~pv::testing::GprPattern(r);
  }
  f.spec_ctrl = {true, false, true};
  f.host_spec_ctrl = f.guest_spec_ctrl = pv::testing::kSpecCtrlHostValue;
  return f;
}

void ExpectGprRoundTrip(RunFixed run) {
  std::mt19937_64 rng(1);
  pv::VcpuRunState after;
  FixedRun f = GprRoundTrip();
  f.after = &after;
  const Violations v = run(TestImage(), kTestImage, rng, &f);
  EXPECT_TRUE(v.empty()) << Join(v);
  for (unsigned r = 0; r < 16; ++r) {
    if (r == pv::kRsp || (run == RunSvmOnce && r == pv::kRax)) continue;  // switched by hardware
    EXPECT_EQ(after.gprs[r], ~pv::testing::GprPattern(r)) << "register " << r;
  }
}

TEST(HwModelValidation, SvmGprRoundTripAsOnQemu) {
  ExpectGprRoundTrip(RunSvmOnce);
}
TEST(HwModelValidation, VmxGprRoundTripAsOnBochs) {
  ExpectGprRoundTrip(RunVmxOnce);
}

// The SPEC_CTRL stand-in phases of guests/specctrl.asm with the scenario's values (host 0x5a5a):
// intercept off and the guest writes 0x1111: read back, host restored; intercepted with 0x2222
// stored by the handler: never read, host restored; equal values: no write at all.
void ExpectSpecCtrlPhases(RunFixed run) {
  std::mt19937_64 rng(2);
  const uint64_t host = pv::testing::kSpecCtrlHostValue;
  pv::VcpuRunState after;
  {
    FixedRun f = GprRoundTrip();
    f.spec_ctrl = {true, false, false};
    f.guest_spec_ctrl = 0;
    f.guest_writes = 0x1111;
    f.after = &after;
    const Violations v = run(TestImage(), kTestImage, rng, &f);
    EXPECT_TRUE(v.empty()) << "phase 1" << Join(v);
    EXPECT_EQ(after.guest_spec_ctrl, 0x1111u);
    EXPECT_GT(after.spec_ctrl_guest_reads, 0u);
    EXPECT_GT(after.spec_ctrl_host_writes, 0u);
  }
  {
    FixedRun f = GprRoundTrip();
    f.spec_ctrl = {true, true, false};
    f.guest_spec_ctrl = 0x2222;
    f.after = &after;
    const Violations v = run(TestImage(), kTestImage, rng, &f);
    EXPECT_TRUE(v.empty()) << "phase 3" << Join(v);
    EXPECT_EQ(after.guest_spec_ctrl, 0x2222u);
    EXPECT_EQ(after.spec_ctrl_guest_reads, 0u);
    EXPECT_GT(after.spec_ctrl_guest_writes, 0u);
  }
  {
    FixedRun f = GprRoundTrip();
    f.spec_ctrl = {true, true, true};
    f.guest_spec_ctrl = host;
    f.after = &after;
    const Violations v = run(TestImage(), kTestImage, rng, &f);
    EXPECT_TRUE(v.empty()) << "phase 5" << Join(v);
    EXPECT_EQ(after.spec_ctrl_guest_writes, 0u);
    EXPECT_EQ(after.spec_ctrl_host_writes, 0u);
  }
}

TEST(HwModelValidation, SvmSpecCtrlAsOnQemu) {
  ExpectSpecCtrlPhases(RunSvmOnce);
}
TEST(HwModelValidation, VmxSpecCtrlAsOnBochs) {
  ExpectSpecCtrlPhases(RunVmxOnce);
}

// The test image's counters agree with the model's own MSR log in random runs too.
TEST(HwModelValidation, TestImageCountersMatchModel) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 500; ++i) {
    for (RunOnce run : {Svm, Vmx}) {
      const Violations v = run(TestImage(), kTestImage, rng);
      ASSERT_TRUE(v.empty()) << "run " << i << Join(v);
    }
  }
}

// ---- 2. properties over randomized runs of the production code ------------------------------

void ExpectProperties(RunOnce run, const char* name) {
  std::mt19937_64 rng(0x5eed0000 + std::hash<std::string>{}(name) % 1000);
  for (int i = 0; i < kPropertyRuns; ++i) {
    const Violations v = run(Production(), kProduction, rng);
    ASSERT_TRUE(v.empty()) << name << " run " << i << ":" << Join(v);
  }
}

TEST(HwModelProperties, Svm) {
  ExpectProperties(Svm, "svm");
}
TEST(HwModelProperties, Vmx) {
  ExpectProperties(Vmx, "vmx");
}
TEST(HwModelProperties, SevEs) {
  ExpectProperties(RunSevEsOnce, "sev-es");
}
TEST(HwModelProperties, Tdx) {
  ExpectProperties(RunTdxOnce, "tdx");
}
TEST(HwModelProperties, SevEsThroughBackend) {
  ExpectProperties(RunSevEsBackendOnce, "sev-es-backend");
}
TEST(HwModelProperties, TdxThroughBackend) {
  ExpectProperties(RunTdxBackendOnce, "tdx-backend");
}

// ---- instruction counts of each switch (printed for the README; the properties are above) ----
// The KVM-comparable case: SPEC_CTRL present, intercepted, guest value = host value (no WRMSR,
// no RDMSR), VMX entering with VMRESUME.
TEST(HwModelCounts, PerSwitch) {
  const struct {
    const char* name;
    RunOnce run;
  } switches[] = {{"svm_run", Svm},
                  {"vmx_run (VMRESUME)", Vmx},
                  {"svm_sev_es_run", RunSevEsOnce},
                  {"tdx_l2_enter", RunTdxOnce},
                  {"svm::RunSevEsOnce + svm_sev_es_run", RunSevEsBackendOnce},
                  {"tdx::EnterL2Once + tdx_l2_enter", RunTdxBackendOnce}};
  std::mt19937_64 rng(11);
  for (const auto& s : switches) {
    bool found = false;
    for (int i = 0; i < 1000 && !found; ++i) {
      const Violations v = s.run(Production(), kProduction, rng);
      ASSERT_TRUE(v.empty()) << s.name << Join(v);
      const SwitchCounts c = LastCounts();
      if (!c.spec_ctrl.present || !c.spec_ctrl.intercepted || !c.spec_ctrl.equal) continue;
      ASSERT_GT(c.to_entry, 0) << s.name;
      std::printf("HWMODEL-COUNT %-36s %3ld to the entry + %3ld after the exit = %3ld\n", s.name,
                  c.to_entry, c.after_exit, c.to_entry + c.after_exit);
      found = true;
    }
    EXPECT_TRUE(found) << s.name << ": the KVM-comparable case never came up";
  }
}

// The configuration bench-vmx measures under Bochs (test image: TSC_AUX stand-in with counters,
// not intercepted, guest value = host value), for comparison with its per-file counts.
TEST(HwModelCounts, BenchVmxConfiguration) {
  for (const auto& [name, run] : {std::pair<const char*, RunFixed>{"svm_run", RunSvmOnce},
                                  {"vmx_run (VMRESUME)", RunVmxOnce}}) {
    std::mt19937_64 rng(12);
    FixedRun f = GprRoundTrip();
    f.spec_ctrl = {true, false, true};
    const Violations v = run(TestImage(), kTestImage, rng, &f);
    ASSERT_TRUE(v.empty()) << name << Join(v);
    const SwitchCounts c = LastCounts();
    std::printf("HWMODEL-COUNT bench-vmx case, %-22s %3ld to the entry + %3ld after the exit\n",
                name, c.to_entry, c.after_exit);
  }
}

// ---- 3. mutation: the model can fail -----------------------------------------------------------

struct Mutant {
  const char* routine;
  RunOnce run;
};

class HwModelMutation : public ::testing::TestWithParam<std::tuple<Mutant, const char*>> {};

TEST_P(HwModelMutation, IsCaught) {
  const auto& [mutant, mutation] = GetParam();
  const ElfImage& image =
      Load(std::string(PV_HWMODEL_MUTANT_DIR) + "/" + mutant.routine + "." + mutation + ".elf");
  std::mt19937_64 rng(7);
  for (int i = 0; i < kMutantRuns; ++i) {
    const Violations v = mutant.run(image, kProduction, rng);
    if (!v.empty()) {
      std::printf("%s/%s caught in run %d: %s\n", mutant.routine, mutation, i, v[0].c_str());
      return;
    }
  }
  ADD_FAILURE() << mutant.routine << "/" << mutation << " passed " << kMutantRuns
                << " runs: the model cannot see this defect";
}

INSTANTIATE_TEST_SUITE_P(
    AllSwitches, HwModelMutation,
    ::testing::Combine(::testing::Values(Mutant{"svm_run", Svm}, Mutant{"vmx_run", Vmx},
                                         Mutant{"svm_sev_es_run", RunSevEsOnce},
                                         Mutant{"tdx_l2_enter", RunTdxOnce}),
                       ::testing::Values("no_save", "spec_ctrl_before_call", "no_rsb_fill")),
    [](const auto& info) {
      return std::string(std::get<0>(info.param).routine) + "_" + std::get<1>(info.param);
    });

// Defects only one routine can have: a read of the encrypted VMSA (the memory hooks must see
// it), a TDG.VP.ENTER output not stored (the exit-record check must see it).
INSTANTIATE_TEST_SUITE_P(
    SevEs, HwModelMutation,
    ::testing::Combine(::testing::Values(Mutant{"svm_sev_es_run", RunSevEsOnce}),
                       ::testing::Values("touch_vmsa")),
    [](const auto& info) { return std::string("svm_sev_es_run_") + std::get<1>(info.param); });
// The interrupt rules of svm_run.asm: the guest preemptible by the tick (host IF=1 at VMRUN),
// the host never interruptible (IF cleared before GIF is set again).
INSTANTIATE_TEST_SUITE_P(Svm, HwModelMutation,
                         ::testing::Combine(::testing::Values(Mutant{"svm_run", Svm}),
                                            ::testing::Values("no_sti", "cli_after_stgi")),
                         [](const auto& info) {
                           return std::string("svm_run_") + std::get<1>(info.param);
                         });
// VMX: a VM-Fail before anything of the guest's was loaded must leave SPEC_CTRL alone.
INSTANTIATE_TEST_SUITE_P(Vmx, HwModelMutation,
                         ::testing::Combine(::testing::Values(Mutant{"vmx_run", Vmx}),
                                            ::testing::Values("host_rsp_fail_tail")),
                         [](const auto& info) {
                           return std::string("vmx_run_") + std::get<1>(info.param);
                         });
INSTANTIATE_TEST_SUITE_P(Tdx, HwModelMutation,
                         ::testing::Combine(::testing::Values(Mutant{"tdx_l2_enter", RunTdxOnce}),
                                            ::testing::Values("drop_output")),
                         [](const auto& info) {
                           return std::string("tdx_l2_enter_") + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace hwmodel
