// Launch digests of an OVMF-based guest exactly as QEMU/KVM (and EC2, GCE) launch it under
// SEV, SEV-ES, SEV-SNP and SEV-SNP with a COCONUT SVSM: the algorithm of virtee's
// sev-snp-measure, reimplemented here and checked against its published digests
// (tests/attest/measure, label `measure`). The project's own launch is in launch_image.h.
#ifndef PV_ATTEST_MEASURE_OVMF_LAUNCH_H_
#define PV_ATTEST_MEASURE_OVMF_LAUNCH_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/measure/ovmf_image.h"
#include "attest/measure/snp_launch_digest.h"
#include "attest/measure/vmsa.h"

namespace pv::attest::measure {

enum class SevMode { kSev, kSevEs, kSnp, kSnpSvsm };

using Sha256 = std::array<uint8_t, 32>;

// SHA-256 of the direct-boot kernel, initrd and command line (QEMU's SEV hash table).
struct KernelHashes {
  Sha256 kernel{};
  Sha256 initrd{};   // of the empty string when no initrd is given
  Sha256 cmdline{};  // of the command line plus its NUL ("\0" alone when none)
};
KernelHashes HashKernelInputs(std::span<const uint8_t> kernel, std::span<const uint8_t> initrd,
                              const std::string& cmdline);

// QEMU's SEV hash table: header GUID + u16 length 168, entries cmdline/initrd/kernel (GUID,
// u16 50, SHA-256), zero-padded to 176 bytes.
std::vector<uint8_t> SevHashTable(const KernelHashes& hashes);

struct OvmfLaunchInputs {
  SevMode mode = SevMode::kSnp;
  VmmType vmm = VmmType::kQemu;
  uint32_t vcpus = 1;
  uint64_t vcpu_sig = 0;        // CPUID(1).EAX, goes into RDX
  uint64_t guest_features = 0;  // SEV_FEATURES for SNP (SEV-ES: 0, SVSM: 1, regardless)
  const OvmfImage* ovmf = nullptr;
  const OvmfImage* svsm = nullptr;  // kSnpSvsm only
  std::optional<KernelHashes> kernel;
  std::optional<Sha384> snp_ovmf_hash;  // precomputed digest of the OVMF pages (SNP only)
};

// SHA-384 (SNP modes, 48 bytes) or SHA-256 (SEV, SEV-ES, 32 bytes).
absl::StatusOr<std::vector<uint8_t>> OvmfLaunchDigest(const OvmfLaunchInputs& in);

}  // namespace pv::attest::measure

#endif  // PV_ATTEST_MEASURE_OVMF_LAUNCH_H_
