#include "crypto/entropy.h"

namespace pv::crypto {
namespace {

// Intel's guidance: RDRAND fails only under extreme load, 10 retries make a failure a sign of a
// broken source; RDSEED may legitimately run dry more often, so it gets more tries before the
// RDRAND fallback.
constexpr u32 kRdseedRetries = 128;
constexpr u32 kRdrandRetries = 10;

void CpuidRaw(u32 leaf, u32 subleaf, u32* ebx, u32* ecx) {
  u32 eax = leaf, edx = 0, b = 0, c = subleaf;
  asm volatile("cpuid" : "+a"(eax), "=b"(b), "+c"(c), "=d"(edx));
  *ebx = b;
  *ecx = c;
}

bool Rdseed64(u64* value) {
  u8 ok = 0;
  asm volatile("rdseed %0; setc %1" : "=r"(*value), "=qm"(ok) : : "cc");
  return ok != 0;
}

bool Rdrand64(u64* value) {
  u8 ok = 0;
  asm volatile("rdrand %0; setc %1" : "=r"(*value), "=qm"(ok) : : "cc");
  return ok != 0;
}

bool NextWord(EntropySource source, u64* word) {
  if (source == EntropySource::kRdseed) {
    for (u32 i = 0; i < kRdseedRetries; ++i) {
      if (Rdseed64(word)) return true;
      asm volatile("pause");
    }
    return false;
  }
  for (u32 i = 0; i < kRdrandRetries; ++i) {
    if (Rdrand64(word)) return true;
  }
  return false;
}

struct CpuEntropy {
  bool rdseed = false;
  bool rdrand = false;
};

CpuEntropy Probe() {
  CpuEntropy e;
  u32 ebx = 0, ecx = 0;
  u32 max_leaf = 0;
  {
    u32 eax = 0, b = 0, c = 0, d = 0;
    asm volatile("cpuid" : "+a"(eax), "=b"(b), "=c"(c), "=d"(d));
    max_leaf = eax;
  }
  if (max_leaf >= 7) {
    CpuidRaw(7, 0, &ebx, &ecx);
    e.rdseed = (ebx & (1u << 18)) != 0;
  }
  CpuidRaw(1, 0, &ebx, &ecx);
  e.rdrand = (ecx & (1u << 30)) != 0;
  return e;
}

}  // namespace

EntropySource DetectEntropySource() {
  const CpuEntropy e = Probe();
  if (e.rdseed) return EntropySource::kRdseed;
  if (e.rdrand) return EntropySource::kRdrand;
  return EntropySource::kNone;
}

const char* EntropySourceName(EntropySource source) {
  switch (source) {
    case EntropySource::kRdseed:
      return "RDSEED";
    case EntropySource::kRdrand:
      return "RDRAND";
    case EntropySource::kNone:
      break;
  }
  return "none";
}

Status GetHardwareEntropy(u8* out, usize len) {
  const CpuEntropy cpu = Probe();
  const EntropySource source = DetectEntropySource();
  if (source == EntropySource::kNone) {
    return Status(Err::kUnsupported,
                  "entropy: CPU has neither RDSEED nor RDRAND (QEMU: -cpu ...,+rdrand,+rdseed)");
  }
  usize done = 0;
  while (done < len) {
    u64 word = 0;
    bool ok = NextWord(source, &word);
    // RDSEED exhausted: RDRAND (when present) is the documented fallback.
    if (!ok && source == EntropySource::kRdseed && cpu.rdrand)
      ok = NextWord(EntropySource::kRdrand, &word);
    if (!ok) return Status(Err::kHardware, "entropy: RDSEED/RDRAND kept failing (CF=0)");
    for (u32 i = 0; i < 8 && done < len; ++i) out[done++] = static_cast<u8>(word >> (8 * i));
    word = 0;
  }
  return Status::Ok();
}

}  // namespace pv::crypto
