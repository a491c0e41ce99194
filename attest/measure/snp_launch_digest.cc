#include "attest/measure/snp_launch_digest.h"

#include <openssl/evp.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace pv::attest::measure {
namespace {

// PAGE_INFO (SEV-SNP firmware ABI): 0x00 DIGEST_CUR[48], 0x30 CONTENTS[48], 0x60 LENGTH u16,
// 0x62 PAGE_TYPE, 0x63 IMI_PAGE, 0x64 VMPL3_PERMS, 0x65 VMPL2_PERMS, 0x66 VMPL1_PERMS,
// 0x67 reserved, 0x68 GPA u64.
constexpr size_t kPageInfoSize = 0x70;
constexpr size_t kContentsOffset = 0x30;
constexpr size_t kLengthOffset = 0x60;
constexpr size_t kPageTypeOffset = 0x62;
constexpr size_t kGpaOffset = 0x68;

void StoreLe(uint8_t* p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

bool SnpPageContentsMeasured(SnpPageType type) {
  return type == SnpPageType::kNormal || type == SnpPageType::kVmsa;
}

const char* SnpPageTypeName(SnpPageType type) {
  switch (type) {
    case SnpPageType::kNormal:
      return "normal";
    case SnpPageType::kVmsa:
      return "vmsa";
    case SnpPageType::kZero:
      return "zero";
    case SnpPageType::kUnmeasured:
      return "unmeasured";
    case SnpPageType::kSecrets:
      return "secrets";
    case SnpPageType::kCpuid:
      return "cpuid";
  }
  return "unknown";
}

Sha384 Sha384Of(std::span<const uint8_t> bytes) {
  Sha384 out{};
  EVP_Digest(bytes.data(), bytes.size(), out.data(), nullptr, EVP_sha384(), nullptr);
  return out;
}

void SnpLaunchDigest::AddPageDigest(uint64_t gpa, SnpPageType type, const Sha384& contents) {
  uint8_t info[kPageInfoSize] = {};
  std::memcpy(info, digest_.data(), digest_.size());
  if (SnpPageContentsMeasured(type)) {
    std::memcpy(info + kContentsOffset, contents.data(), contents.size());
  }
  StoreLe(info + kLengthOffset, kPageInfoSize, 2);
  info[kPageTypeOffset] = static_cast<uint8_t>(type);
  StoreLe(info + kGpaOffset, gpa, 8);
  digest_ = Sha384Of(info);
  ++pages_;
}

void SnpLaunchDigest::AddPage(uint64_t gpa, SnpPageType type, PageView page) {
  AddPageDigest(gpa, type, SnpPageContentsMeasured(type) ? Sha384Of(page) : Sha384{});
}

absl::Status SnpLaunchDigest::AddNormalRange(uint64_t gpa, std::span<const uint8_t> data) {
  if (data.size() % kPageSize != 0 || gpa % kPageSize != 0) {
    return absl::InvalidArgumentError(absl::StrCat("SNP launch digest: range at GPA 0x",
                                                   absl::Hex(gpa), " of ", data.size(),
                                                   " bytes is not whole 4 KiB pages"));
  }
  for (size_t off = 0; off < data.size(); off += kPageSize) {
    AddPage(gpa + off, SnpPageType::kNormal, PageView(data.data() + off, kPageSize));
  }
  return absl::OkStatus();
}

absl::Status SnpLaunchDigest::AddEmptyRange(uint64_t gpa, uint64_t size, SnpPageType type) {
  if (SnpPageContentsMeasured(type)) {
    return absl::InvalidArgumentError(
        "SNP launch digest: an empty range needs a contents-less type");
  }
  if (size % kPageSize != 0 || gpa % kPageSize != 0) {
    return absl::InvalidArgumentError(absl::StrCat("SNP launch digest: ", SnpPageTypeName(type),
                                                   " range at GPA 0x", absl::Hex(gpa), " of ", size,
                                                   " bytes is not whole 4 KiB pages"));
  }
  for (uint64_t off = 0; off < size; off += kPageSize) AddPageDigest(gpa + off, type, Sha384{});
  return absl::OkStatus();
}

}  // namespace pv::attest::measure
