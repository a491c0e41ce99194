#include "svm/sev_es.h"

#include "arch/cpu.h"

namespace pv::svm {
namespace {

constexpr u32 kLeafEncryption = 0x8000001f;
constexpr u32 kMsrXss = 0xda0;
constexpr u64 kCr4Pke = 1ull << 22;
constexpr u64 kCr4OsXsave = 1ull << 18;

}  // namespace

SevEsCapabilities DetectSevEs() {
  const u32 max = arch::Cpuid(0x80000000).eax;
  if (max < kLeafEncryption) return {};
  const arch::CpuidRegs r = arch::Cpuid(kLeafEncryption);
  return DecodeSevEsCpuid(max, r.eax, r.ebx, r.ecx, r.edx);
}

SevEsHostTypeB ReadHostTypeB() {
  SevEsHostTypeB host;
  u64 cr4 = 0;
  asm volatile("mov %%cr4, %0" : "=r"(cr4));
  if (cr4 & kCr4OsXsave) {
    u32 lo = 0, hi = 0;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    host.xcr0 = (u64{hi} << 32) | lo;
  }
  host.has_xss = arch::Cpuid(0).eax >= 0xd && (arch::Cpuid(0xd, 1).eax & (1u << 3));
  if (host.has_xss) host.xss = arch::Rdmsr(kMsrXss);
  host.has_pkru = cr4 & kCr4Pke;
  if (host.has_pkru) {
    u32 pkru = 0, edx = 0;
    asm volatile("rdpkru" : "=a"(pkru), "=d"(edx) : "c"(0));
    host.pkru = pkru;
  }
  return host;
}

void RunSevEsOnce(VcpuRunState& run, u64 hsave_pa, SevEsHostSavePage* hsave_va,
                  const SevEsHostTypeB& host) {
  WriteHostTypeB(hsave_va->save, host);
  run.host_state_pa = hsave_pa;
  pv_svm_sev_es_run(&run, &hsave_va->save);
}

}  // namespace pv::svm
