// An OVMF (or COCONUT-SVSM) firmware image as the SEV launch measures it: the bytes, the GPA
// range they occupy (ending at 4 GiB by default), the GUIDed footer table at the end of the
// image and the SEV metadata ("ASEV") sections it points to.
//
// The image comes from a file the user names: hostile input. Parsing is bounded (every offset
// and length is checked against the image before use) and errors name the structure and value.
#ifndef PV_ATTEST_MEASURE_OVMF_IMAGE_H_
#define PV_ATTEST_MEASURE_OVMF_IMAGE_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace pv::attest::measure {

using Guid = std::array<uint8_t, 16>;  // in the image's (little-endian EFI) byte order

// OVMF SEV metadata section types.
enum class OvmfSectionType : uint32_t {
  kSnpSecMem = 1,
  kSnpSecrets = 2,
  kCpuid = 3,
  kSvsmCaa = 4,
  kSnpKernelHashes = 0x10,
};

struct OvmfSection {
  uint32_t gpa = 0;
  uint32_t size = 0;
  OvmfSectionType type = OvmfSectionType::kSnpSecMem;
};

inline constexpr uint64_t kFourGiB = uint64_t{1} << 32;
inline constexpr size_t kMaxOvmfImageBytes = size_t{64} << 20;
inline constexpr size_t kMaxOvmfSections = 64;

class OvmfImage {
 public:
  // `end_gpa`: the image occupies [end_gpa - size, end_gpa).
  static absl::StatusOr<OvmfImage> Parse(std::vector<uint8_t> data, uint64_t end_gpa = kFourGiB);

  std::span<const uint8_t> data() const { return data_; }
  uint64_t gpa() const { return gpa_; }
  const std::vector<OvmfSection>& sections() const { return sections_; }
  bool HasSection(OvmfSectionType type) const;

  // The footer-table entry with `guid` (its data, without the size and GUID).
  std::optional<std::span<const uint8_t>> TableEntry(const Guid& guid) const;
  // First u32 of an entry, or an error naming the entry.
  absl::StatusOr<uint32_t> TableEntryU32(const Guid& guid, const char* name) const;

  absl::StatusOr<uint32_t> SevEsResetEip() const;
  // GPA of the SEV kernel-hashes table; nullopt when the image has none (or it is 0).
  std::optional<uint32_t> SevHashesTableGpa() const;

 private:
  std::vector<uint8_t> data_;
  uint64_t gpa_ = 0;
  std::map<Guid, std::pair<size_t, size_t>> table_;  // GUID -> (offset, length) into data_
  std::vector<OvmfSection> sections_;

  absl::Status ParseFooterTable();
  absl::Status ParseSevMetadata();
};

// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into the EFI (mixed-endian) byte order.
Guid GuidFromString(const char* text);

inline const Guid kSevEsResetBlockGuid = GuidFromString("00f771de-1a7e-4fcb-890e-68c77e2fb44e");
inline const Guid kSevHashTableRvGuid = GuidFromString("7255371f-3a3b-4b04-927b-1da6efa8d454");
inline const Guid kSvsmInfoGuid = GuidFromString("a789a612-0597-4c4b-a49f-cbb1fe9d1ddd");

}  // namespace pv::attest::measure

#endif  // PV_ATTEST_MEASURE_OVMF_IMAGE_H_
