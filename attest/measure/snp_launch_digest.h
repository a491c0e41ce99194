// SEV-SNP launch digest: the SHA-384 chain the AMD Secure Processor extends at every
// SNP_LAUNCH_UPDATE page (SEV-SNP firmware ABI, PAGE_INFO structure; see
// ../shared/reference/confidential.md §3). The final value is the report's MEASUREMENT.
//
//   LD_0 = 48 zero bytes (or a seed: a digest already computed over a prefix of the pages)
//   LD_n = SHA-384(PAGE_INFO{DIGEST_CUR = LD_{n-1}, CONTENTS, LENGTH 0x70, PAGE_TYPE, IMI 0,
//                            VMPL3/2/1 perms 0, GPA})
// CONTENTS is SHA-384 of the page for NORMAL and VMSA pages and zero for the other types.
#ifndef PV_ATTEST_MEASURE_SNP_LAUNCH_DIGEST_H_
#define PV_ATTEST_MEASURE_SNP_LAUNCH_DIGEST_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"

namespace pv::attest::measure {

inline constexpr size_t kPageSize = 4096;
using Sha384 = std::array<uint8_t, 48>;
using PageView = std::span<const uint8_t, kPageSize>;

// SNP_LAUNCH_UPDATE page types (PAGE_INFO.PAGE_TYPE).
enum class SnpPageType : uint8_t {
  kNormal = 1,
  kVmsa = 2,
  kZero = 3,
  kUnmeasured = 4,
  kSecrets = 5,
  kCpuid = 6,
};

// True for the types whose CONTENTS field is the SHA-384 of the page.
bool SnpPageContentsMeasured(SnpPageType type);
const char* SnpPageTypeName(SnpPageType type);

// Under QEMU/KVM the VMSA pages are recorded at GPA 0xFFFFFFFFF000 (KVM passes (u64)-1 as the
// VMSA's "GPA", which the firmware masks to a page), whatever their real address.
inline constexpr uint64_t kKvmVmsaGpa = 0xFFFFFFFFF000;

Sha384 Sha384Of(std::span<const uint8_t> bytes);

class SnpLaunchDigest {
 public:
  SnpLaunchDigest() = default;
  explicit SnpLaunchDigest(const Sha384& seed) : digest_(seed) {}

  // One page; `page` is read only when the type's contents are measured.
  void AddPage(uint64_t gpa, SnpPageType type, PageView page);
  // One page whose contents digest is already known (or zero for unmeasured types).
  void AddPageDigest(uint64_t gpa, SnpPageType type, const Sha384& contents);
  // NORMAL pages over `data` from `gpa`; `data.size()` must be a multiple of 4 KiB.
  absl::Status AddNormalRange(uint64_t gpa, std::span<const uint8_t> data);
  // `size` bytes of pages of a contents-less type (ZERO, UNMEASURED, SECRETS, CPUID).
  absl::Status AddEmptyRange(uint64_t gpa, uint64_t size, SnpPageType type);

  const Sha384& digest() const { return digest_; }
  uint64_t pages() const { return pages_; }

 private:
  Sha384 digest_{};
  uint64_t pages_ = 0;
};

}  // namespace pv::attest::measure

#endif  // PV_ATTEST_MEASURE_SNP_LAUNCH_DIGEST_H_
