// AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP ABI spec 56860, table "ATTESTATION_REPORT"):
// the parsed form of the 0x4A0-byte structure, versions 2, 3 (and 4, which has the v3 layout)
// and 5. Parsing enforces the exact size, the supported versions and every reserved-must-be-zero
// range, and names the offending field and offset when it refuses a report.
#ifndef PV_ATTEST_SNP_SNP_REPORT_H_
#define PV_ATTEST_SNP_SNP_REPORT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"
#include "attest/common/evidence_length.h"

namespace pv::attest::snp {

inline constexpr size_t kReportSize = 0x4A0;
inline constexpr size_t kSignedRegionSize = 0x2A0;
inline constexpr size_t kSignatureOffset = 0x2A0;
inline constexpr size_t kSignatureComponentSize = 72;  // r and s, little-endian

inline constexpr uint32_t kMinReportVersion = 2;
inline constexpr uint32_t kMaxReportVersion = 5;
inline constexpr uint32_t kSignatureAlgoEcdsaP384Sha384 = 1;

// GUEST POLICY bits.
namespace policy_bits {
inline constexpr uint64_t kAbiMinorMask = 0xff;
inline constexpr uint64_t kAbiMajorShift = 8;
inline constexpr uint64_t kSmt = 1ull << 16;
inline constexpr uint64_t kReservedMustBeOne = 1ull << 17;
inline constexpr uint64_t kMigrateMa = 1ull << 18;
inline constexpr uint64_t kDebug = 1ull << 19;
inline constexpr uint64_t kSingleSocket = 1ull << 20;
inline constexpr uint64_t kCxlAllow = 1ull << 21;
inline constexpr uint64_t kMemAes256Xts = 1ull << 22;
inline constexpr uint64_t kRaplDis = 1ull << 23;
inline constexpr uint64_t kCiphertextHiding = 1ull << 24;
inline constexpr uint64_t kPageSwapDisable = 1ull << 25;
inline constexpr uint64_t kMustBeZeroMask = ~((1ull << 26) - 1);
}  // namespace policy_bits

// SIGNING_KEY values (SIGNER_INFO bits 2..4).
enum class SigningKey : uint8_t { kVcek = 0, kVlek = 1, kNone = 7 };

struct SnpReport {
  uint32_t version = 0;
  uint32_t guest_svn = 0;
  uint64_t policy = 0;
  std::array<uint8_t, 16> family_id{};
  std::array<uint8_t, 16> image_id{};
  uint32_t vmpl = 0;
  uint32_t signature_algo = 0;
  uint64_t current_tcb = 0;
  uint64_t platform_info = 0;
  uint32_t signer_info = 0;
  std::array<uint8_t, 64> report_data{};
  std::array<uint8_t, 48> measurement{};
  std::array<uint8_t, 32> host_data{};
  std::array<uint8_t, 48> id_key_digest{};
  std::array<uint8_t, 48> author_key_digest{};
  std::array<uint8_t, 32> report_id{};
  std::array<uint8_t, 32> report_id_ma{};
  uint64_t reported_tcb = 0;
  // v3+: CPUID leaf 1 family / model / stepping of the chip. Zero in v2.
  uint8_t cpuid_fam_id = 0;
  uint8_t cpuid_mod_id = 0;
  uint8_t cpuid_step = 0;
  std::array<uint8_t, 64> chip_id{};
  uint64_t committed_tcb = 0;
  uint8_t current_build = 0, current_minor = 0, current_major = 0;
  uint8_t committed_build = 0, committed_minor = 0, committed_major = 0;
  uint64_t launch_tcb = 0;
  // v5 only.
  uint64_t launch_mit_vector = 0;
  uint64_t current_mit_vector = 0;
  // Signature: r and s as 72-byte little-endian integers.
  std::array<uint8_t, kSignatureComponentSize> signature_r{};
  std::array<uint8_t, kSignatureComponentSize> signature_s{};

  // The exact bytes the signature covers (0x000..0x29F).
  std::array<uint8_t, kSignedRegionSize> signed_bytes{};

  bool debug() const { return (policy & policy_bits::kDebug) != 0; }
  bool smt_allowed() const { return (policy & policy_bits::kSmt) != 0; }
  bool migrate_ma() const { return (policy & policy_bits::kMigrateMa) != 0; }
  bool author_key_en() const { return (signer_info & 1) != 0; }
  bool mask_chip_key() const { return (signer_info & 2) != 0; }
  SigningKey signing_key() const { return static_cast<SigningKey>((signer_info >> 2) & 7); }
  bool has_cpuid() const { return version >= 3; }
  bool has_mitigation_vectors() const { return version >= 5; }
};

// Parses and format-checks a report. Refuses (InvalidArgument, naming field and offset): a size
// other than 0x4A0, a version outside 2..5, SIGNATURE_ALGO != 1, policy bit 17 clear, policy bits
// 26..63 set, SIGNER_INFO bits 5..31 set, SIGNING_KEY 2..6, and any nonzero reserved byte
// (0x04C..0x04F, 0x188 (v2) / 0x18B (v3+) ..0x19F, 0x1EB, 0x1EF, 0x1F8..0x207 before v5,
// 0x208..0x29F, and the signature area after r and s).
absl::StatusOr<SnpReport> ParseSnpReport(ByteSpan data);

// Evidence that may carry bytes after the report (a fixed-size buffer, an HCL report's
// padding): the report's own 0x4A0 bytes (or all of `data` when shorter, so ParseSnpReport
// still names the truncation), and the length facts for the `length` check
// (attest/common/evidence_length.h).
ByteSpan SnpReportPrefix(ByteSpan data);
// Whether the report signature's S is at most half the P-384 order (see IsLowS).
bool SignatureIsLowS(const SnpReport& report);
EvidenceLength SnpReportLength(ByteSpan data);

// Every field as (name, printable value) in report order, for `inspect` and JSON output.
std::vector<std::pair<std::string, std::string>> DescribeSnpReport(const SnpReport& report);

std::string SigningKeyName(SigningKey key);

}  // namespace pv::attest::snp

#endif  // PV_ATTEST_SNP_SNP_REPORT_H_
