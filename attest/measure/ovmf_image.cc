#include "attest/measure/ovmf_image.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"

namespace pv::attest::measure {
namespace {

const Guid kFooterGuid = GuidFromString("96b582de-1fb2-45f7-baea-a366c55a082d");
const Guid kSevMetadataGuid = GuidFromString("dc886566-984a-4798-a75e-5585a7bf67cc");

// Footer table: the image ends with 32 bytes (reset vector area); before them a trailer entry
// {u16 total table size, GUID kFooterGuid}; before that the entries, each {data, u16 size, GUID}
// walked backwards (size includes the 18-byte size+GUID).
constexpr size_t kResetAreaBytes = 32;
constexpr size_t kEntryHeader = 2 + 16;
constexpr size_t kSevMetadataHeader = 16;  // "ASEV", u32 size, u32 version, u32 count
constexpr size_t kSevMetadataDesc = 12;    // u32 gpa, u32 size, u32 type

int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

bool KnownSectionType(uint32_t t) {
  return t == 1 || t == 2 || t == 3 || t == 4 || t == 0x10;
}

}  // namespace

Guid GuidFromString(const char* text) {
  uint8_t raw[16] = {};
  size_t n = 0;
  for (const char* p = text; *p != 0 && n < 32; ++p) {
    if (*p == '-') continue;
    raw[n / 2] = static_cast<uint8_t>(raw[n / 2] | (HexNibble(*p) << ((n % 2) ? 0 : 4)));
    ++n;
  }
  // EFI GUID layout: the first three fields are little-endian.
  Guid g = {raw[3], raw[2], raw[1],  raw[0],  raw[5],  raw[4],  raw[7],  raw[6],
            raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]};
  return g;
}

absl::StatusOr<OvmfImage> OvmfImage::Parse(std::vector<uint8_t> data, uint64_t end_gpa) {
  if (data.empty() || data.size() % 4096 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("firmware image: size ", data.size(), " is not a non-zero multiple of 4 KiB"));
  }
  if (data.size() > kMaxOvmfImageBytes || end_gpa > kFourGiB || data.size() > end_gpa) {
    return absl::InvalidArgumentError(absl::StrCat(
        "firmware image: ", data.size(), " bytes do not fit below GPA 0x", absl::Hex(end_gpa)));
  }
  OvmfImage image;
  image.gpa_ = end_gpa - data.size();
  image.data_ = std::move(data);
  if (absl::Status s = image.ParseFooterTable(); !s.ok()) return s;
  if (absl::Status s = image.ParseSevMetadata(); !s.ok()) return s;
  return image;
}

absl::Status OvmfImage::ParseFooterTable() {
  const size_t size = data_.size();
  if (size < kResetAreaBytes + kEntryHeader) return absl::OkStatus();
  const size_t trailer = size - kResetAreaBytes - kEntryHeader;
  if (std::memcmp(data_.data() + trailer + 2, kFooterGuid.data(), 16) != 0) {
    return absl::OkStatus();  // no footer table: a plain image
  }
  const size_t table_size = LoadLe16(data_.data() + trailer);
  if (table_size < kEntryHeader || table_size - kEntryHeader > trailer) {
    return absl::InvalidArgumentError(
        absl::StrCat("firmware image: footer table size ", table_size, " is outside the image"));
  }
  const size_t table_start = trailer - (table_size - kEntryHeader);
  size_t end = trailer;  // entries are walked from the end towards table_start
  while (end - table_start >= kEntryHeader) {
    const size_t hdr = end - kEntryHeader;
    const size_t entry_size = LoadLe16(data_.data() + hdr);
    if (entry_size < kEntryHeader || entry_size > end - table_start) {
      return absl::InvalidArgumentError(
          absl::StrCat("firmware image: footer table entry at offset 0x", absl::Hex(hdr),
                       " has invalid size ", entry_size));
    }
    Guid guid;
    std::memcpy(guid.data(), data_.data() + hdr + 2, 16);
    const size_t entry_start = end - entry_size;
    table_.emplace(guid, std::make_pair(entry_start, entry_size - kEntryHeader));
    end = entry_start;
  }
  return absl::OkStatus();
}

absl::Status OvmfImage::ParseSevMetadata() {
  auto entry = TableEntry(kSevMetadataGuid);
  if (!entry) return absl::OkStatus();
  if (entry->size() < 4) {
    return absl::InvalidArgumentError("firmware image: SEV metadata entry is shorter than 4 bytes");
  }
  const uint32_t offset_from_end = LoadLe32(entry->data());
  if (offset_from_end > data_.size() || offset_from_end < kSevMetadataHeader) {
    return absl::InvalidArgumentError(absl::StrCat("firmware image: SEV metadata offset ",
                                                   offset_from_end, " is outside the image"));
  }
  const uint8_t* hdr = data_.data() + (data_.size() - offset_from_end);
  if (std::memcmp(hdr, "ASEV", 4) != 0) {
    return absl::InvalidArgumentError("firmware image: SEV metadata signature is not 'ASEV'");
  }
  const uint32_t md_size = LoadLe32(hdr + 4);
  const uint32_t version = LoadLe32(hdr + 8);
  const uint32_t count = LoadLe32(hdr + 12);
  if (version != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("firmware image: SEV metadata version ", version, " (expected 1)"));
  }
  if (md_size < kSevMetadataHeader || md_size > offset_from_end || count > kMaxOvmfSections ||
      count * kSevMetadataDesc > md_size - kSevMetadataHeader) {
    return absl::InvalidArgumentError(absl::StrCat("firmware image: SEV metadata size ", md_size,
                                                   " with ", count,
                                                   " sections does not fit the image"));
  }
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* d = hdr + kSevMetadataHeader + i * kSevMetadataDesc;
    OvmfSection s;
    s.gpa = LoadLe32(d);
    s.size = LoadLe32(d + 4);
    const uint32_t type = LoadLe32(d + 8);
    if (!KnownSectionType(type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("firmware image: SEV metadata section ", i, " has unknown type ", type));
    }
    if (s.gpa % 4096 != 0 || s.size % 4096 != 0 || uint64_t{s.gpa} + s.size > kFourGiB) {
      return absl::InvalidArgumentError(
          absl::StrCat("firmware image: SEV metadata section ", i, " (GPA 0x", absl::Hex(s.gpa),
                       ", size ", s.size, ") is not page aligned or passes 4 GiB"));
    }
    s.type = static_cast<OvmfSectionType>(type);
    sections_.push_back(s);
  }
  return absl::OkStatus();
}

bool OvmfImage::HasSection(OvmfSectionType type) const {
  for (const OvmfSection& s : sections_) {
    if (s.type == type) return true;
  }
  return false;
}

std::optional<std::span<const uint8_t>> OvmfImage::TableEntry(const Guid& guid) const {
  auto it = table_.find(guid);
  if (it == table_.end()) return std::nullopt;
  return std::span<const uint8_t>(data_.data() + it->second.first, it->second.second);
}

absl::StatusOr<uint32_t> OvmfImage::TableEntryU32(const Guid& guid, const char* name) const {
  auto entry = TableEntry(guid);
  if (!entry) {
    return absl::NotFoundError(
        absl::StrCat("firmware image: no ", name, " entry in the footer table"));
  }
  if (entry->size() < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("firmware image: ", name, " entry is shorter than 4 bytes"));
  }
  return LoadLe32(entry->data());
}

absl::StatusOr<uint32_t> OvmfImage::SevEsResetEip() const {
  return TableEntryU32(kSevEsResetBlockGuid, "SEV_ES_RESET_BLOCK");
}

std::optional<uint32_t> OvmfImage::SevHashesTableGpa() const {
  absl::StatusOr<uint32_t> gpa = TableEntryU32(kSevHashTableRvGuid, "SEV_HASH_TABLE_RV");
  if (!gpa.ok() || *gpa == 0) return std::nullopt;
  return *gpa;
}

}  // namespace pv::attest::measure
