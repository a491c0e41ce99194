#include "attest/snp/snp_tcb.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace pv::attest::snp {

absl::string_view ProductName(Product product) {
  switch (product) {
    case Product::kMilan:
      return "Milan";
    case Product::kGenoa:
      return "Genoa";
    case Product::kTurin:
      return "Turin";
    case Product::kUnknown:
      break;
  }
  return "unknown";
}

Product ProductFromName(absl::string_view name) {
  if (name == "Milan") return Product::kMilan;
  if (name == "Genoa") return Product::kGenoa;
  if (name == "Turin") return Product::kTurin;
  return Product::kUnknown;
}

Product ProductFromCpuid(uint8_t family, uint8_t model) {
  if (family == 0x19) {
    if (model <= 0x0f) return Product::kMilan;
    if ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf)) {
      return Product::kGenoa;
    }
  } else if (family == 0x1a) {
    if (model <= 0x11) return Product::kTurin;
  }
  return Product::kUnknown;
}

TcbLayout LayoutForProduct(Product product) {
  return product == Product::kTurin ? TcbLayout::kTurin : TcbLayout::kMilanGenoa;
}

absl::string_view LayoutName(TcbLayout layout) {
  return layout == TcbLayout::kTurin ? "Turin (FMC/BL/TEE/SNP/-/-/-/UCODE)"
                                     : "Milan/Genoa (BL/TEE/-/-/-/-/SNP/UCODE)";
}

namespace {
uint8_t ByteAt(uint64_t v, int index) {
  return static_cast<uint8_t>(v >> (8 * index));
}
}  // namespace

TcbParts DecodeTcb(uint64_t tcb_version, TcbLayout layout) {
  TcbParts parts;
  if (layout == TcbLayout::kTurin) {
    parts.fmc = ByteAt(tcb_version, 0);
    parts.bl = ByteAt(tcb_version, 1);
    parts.tee = ByteAt(tcb_version, 2);
    parts.snp = ByteAt(tcb_version, 3);
  } else {
    parts.bl = ByteAt(tcb_version, 0);
    parts.tee = ByteAt(tcb_version, 1);
    parts.snp = ByteAt(tcb_version, 6);
  }
  parts.ucode = ByteAt(tcb_version, 7);
  return parts;
}

uint64_t TcbReservedBits(uint64_t tcb_version, TcbLayout layout) {
  const uint64_t mask = layout == TcbLayout::kTurin ? 0x00ffffff00000000ull : 0x0000ffffffff0000ull;
  return tcb_version & mask;
}

std::string TcbPartsToString(const TcbParts& parts) {
  std::string out;
  if (parts.fmc) absl::StrAppend(&out, "fmc=", *parts.fmc, " ");
  absl::StrAppend(&out, "bl=", parts.bl, " tee=", parts.tee, " snp=", parts.snp,
                  " ucode=", parts.ucode);
  return out;
}

}  // namespace pv::attest::snp
