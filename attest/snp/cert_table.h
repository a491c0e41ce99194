// The GHCB extended-report certificate table (also the Linux configfs-tsm "auxblob"): entries
// of {GUID[16] (RFC 4122 byte order), offset u32, length u32}, terminated by an all-zero entry,
// followed by the certificates they point at. Entries may hold DER or PEM.
#ifndef PV_ATTEST_SNP_CERT_TABLE_H_
#define PV_ATTEST_SNP_CERT_TABLE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"

namespace pv::attest::snp {

inline constexpr size_t kCertTableEntrySize = 24;
inline constexpr size_t kMaxCertTableEntries = 64;

enum class CertTableKind { kVcek, kVlek, kAskOrAsvk, kArk, kOther };

struct CertTableEntry {
  std::array<uint8_t, 16> guid{};
  CertTableKind kind = CertTableKind::kOther;
  uint32_t offset = 0;
  uint32_t length = 0;
  Bytes data;  // a copy of the entry's bytes, so the blob may be discarded
};

// Parses a certificate table. Refuses: a blob without a terminating all-zero entry, more than
// kMaxCertTableEntries entries, an entry whose data lies outside the blob or overlaps the table,
// a zero-length entry, and a GUID that appears twice.
absl::StatusOr<std::vector<CertTableEntry>> ParseCertTable(ByteSpan blob);

std::string GuidToString(const std::array<uint8_t, 16>& guid);
std::string CertTableKindName(CertTableKind kind);

// The VEK (VCEK or VLEK) and the chain (ASK/ASVK, ARK) carried in a table, as raw entry bytes.
struct CertTableCerts {
  Bytes vek;
  Bytes chain;  // concatenated entries; PEM entries stay PEM, DER entries are converted to PEM
};
// Picks the VLEK entry when the report says SIGNING_KEY=VLEK (`want_vlek`), else the VCEK.
absl::StatusOr<CertTableCerts> CertsFromTable(const std::vector<CertTableEntry>& entries,
                                              bool want_vlek);

}  // namespace pv::attest::snp

#endif  // PV_ATTEST_SNP_CERT_TABLE_H_
