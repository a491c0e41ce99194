#include "attest/snp/cert_table.h"

#include <openssl/pem.h>

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "attest/common/cert_util.h"

namespace pv::attest::snp {
namespace {

using Guid = std::array<uint8_t, 16>;

// GUIDs in RFC 4122 (big-endian) byte order, as the GHCB specification lays them out.
constexpr Guid kVcekGuid = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                            0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
constexpr Guid kVlekGuid = {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
                            0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1};
constexpr Guid kAskGuid = {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                           0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82};
constexpr Guid kArkGuid = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
                           0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae};

CertTableKind KindOf(const Guid& g) {
  if (g == kVcekGuid) return CertTableKind::kVcek;
  if (g == kVlekGuid) return CertTableKind::kVlek;
  if (g == kAskGuid) return CertTableKind::kAskOrAsvk;
  if (g == kArkGuid) return CertTableKind::kArk;
  return CertTableKind::kOther;
}

// Appends an entry to a PEM bundle, converting DER to PEM so the bundle stays one format.
absl::Status AppendAsPem(const CertTableEntry& entry, Bytes* out) {
  if (LooksLikePem(entry.data)) {
    out->insert(out->end(), entry.data.begin(), entry.data.end());
    out->push_back('\n');
    return absl::OkStatus();
  }
  auto cert = ParseSingleCertificate(entry.data, CertTableKindName(entry.kind));
  if (!cert.ok()) return cert.status();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert->get()) != 1) {
    return absl::InternalError("PEM_write_bio_X509 failed");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  out->insert(out->end(), data, data + len);
  return absl::OkStatus();
}

}  // namespace

std::string GuidToString(const Guid& g) {
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11],
                         g[12], g[13], g[14], g[15]);
}

std::string CertTableKindName(CertTableKind kind) {
  switch (kind) {
    case CertTableKind::kVcek:
      return "VCEK";
    case CertTableKind::kVlek:
      return "VLEK";
    case CertTableKind::kAskOrAsvk:
      return "ASK";
    case CertTableKind::kArk:
      return "ARK";
    case CertTableKind::kOther:
      break;
  }
  return "other";
}

absl::StatusOr<std::vector<CertTableEntry>> ParseCertTable(ByteSpan blob) {
  std::vector<CertTableEntry> entries;
  size_t pos = 0;
  bool terminated = false;
  // The entries end before the first certificate's data: a table that reaches it without an
  // all-zero entry is unterminated (reading on would parse certificate bytes as entries).
  size_t data_start = blob.size();
  while (pos + kCertTableEntrySize <= std::min(blob.size(), data_start)) {
    const ByteSpan raw = blob.subspan(pos, kCertTableEntrySize);
    pos += kCertTableEntrySize;
    if (AllZero(raw)) {
      terminated = true;
      break;
    }
    if (entries.size() == kMaxCertTableEntries) {
      return absl::InvalidArgumentError(absl::StrCat(
          "certificate table: more than ", kMaxCertTableEntries, " entries before the terminator"));
    }
    CertTableEntry e;
    std::memcpy(e.guid.data(), raw.data(), 16);
    e.kind = KindOf(e.guid);
    e.offset = LoadLe32(raw.data() + 16);
    e.length = LoadLe32(raw.data() + 20);
    if (e.offset >= pos) data_start = std::min<size_t>(data_start, e.offset);
    entries.push_back(std::move(e));
  }
  if (!terminated) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "certificate table: no all-zero terminating entry after %u entr%s (the table must end "
        "before offset 0x%x, where %s; the blob is %u bytes)",
        entries.size(), entries.size() == 1 ? "y" : "ies", data_start,
        data_start < blob.size() ? "the first certificate's data begins" : "the blob ends",
        blob.size()));
  }
  const size_t table_end = pos;
  for (size_t i = 0; i < entries.size(); ++i) {
    CertTableEntry& e = entries[i];
    const std::string name = absl::StrCat("certificate table entry ", i, " (", GuidToString(e.guid),
                                          ", ", CertTableKindName(e.kind), ")");
    if (e.length == 0) return absl::InvalidArgumentError(absl::StrCat(name, ": length is 0"));
    const uint64_t end = static_cast<uint64_t>(e.offset) + e.length;
    if (e.offset < table_end || end > blob.size()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: data [0x%x, 0x%x) is outside the certificate area [0x%x, 0x%x)",
                          name, e.offset, end, table_end, blob.size()));
    }
    for (size_t j = 0; j < i; ++j) {
      if (entries[j].guid == e.guid) {
        return absl::InvalidArgumentError(absl::StrCat(name, ": GUID appears twice"));
      }
    }
    e.data.assign(blob.begin() + e.offset, blob.begin() + static_cast<ptrdiff_t>(end));
    // PEM entries are often padded with zero bytes up to the next entry.
    if (LooksLikePem(e.data)) {
      while (!e.data.empty() && e.data.back() == 0) e.data.pop_back();
    }
  }
  return entries;
}

absl::StatusOr<CertTableCerts> CertsFromTable(const std::vector<CertTableEntry>& entries,
                                              bool want_vlek) {
  CertTableCerts out;
  const CertTableKind vek_kind = want_vlek ? CertTableKind::kVlek : CertTableKind::kVcek;
  for (const auto& e : entries) {
    if (e.kind == vek_kind) out.vek = e.data;
  }
  if (out.vek.empty()) {
    return absl::NotFoundError(
        absl::StrCat("certificate table has no ", CertTableKindName(vek_kind), " entry"));
  }
  for (const auto& e : entries) {
    if (e.kind == CertTableKind::kAskOrAsvk || e.kind == CertTableKind::kArk) {
      if (absl::Status s = AppendAsPem(e, &out.chain); !s.ok()) return s;
    }
  }
  return out;
}

}  // namespace pv::attest::snp
