// SEV-SNP products and the TCB_VERSION encoding. The byte layout of a TCB_VERSION depends on
// the product: Milan and Genoa put BL, TEE, SNP and microcode SVNs at bytes 0, 1, 6, 7; Turin
// adds an FMC SVN and packs FMC, BL, TEE, SNP into bytes 0..3 (microcode stays at byte 7).
#ifndef PV_ATTEST_SNP_SNP_TCB_H_
#define PV_ATTEST_SNP_SNP_TCB_H_

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

namespace pv::attest::snp {

enum class Product { kUnknown, kMilan, kGenoa, kTurin };

absl::string_view ProductName(Product product);
// "Milan", "Genoa", "Turin" (exact, as in KDS URLs and the pinned root table).
Product ProductFromName(absl::string_view name);

// Product family from the report's CPUID fields (v3+): family 0x19 models 0x00-0x0F Milan,
// 0x10-0x1F and 0xA0-0xAF Genoa (Genoa, Bergamo, Siena share the Genoa roots); family 0x1A
// models 0x00-0x11 Turin. kUnknown otherwise.
Product ProductFromCpuid(uint8_t family, uint8_t model);

enum class TcbLayout { kMilanGenoa, kTurin };
TcbLayout LayoutForProduct(Product product);
absl::string_view LayoutName(TcbLayout layout);

// The security patch levels a TCB_VERSION carries. fmc is present only in the Turin layout.
struct TcbParts {
  std::optional<uint8_t> fmc;
  uint8_t bl = 0;
  uint8_t tee = 0;
  uint8_t snp = 0;
  uint8_t ucode = 0;

  bool operator==(const TcbParts&) const = default;
};

TcbParts DecodeTcb(uint64_t tcb_version, TcbLayout layout);
// The bytes of the layout that hold no SVN; they must be zero in a well-formed TCB_VERSION.
uint64_t TcbReservedBits(uint64_t tcb_version, TcbLayout layout);
// "fmc=1 bl=3 tee=0 snp=8 ucode=115" (fmc only for Turin).
std::string TcbPartsToString(const TcbParts& parts);

}  // namespace pv::attest::snp

#endif  // PV_ATTEST_SNP_SNP_TCB_H_
