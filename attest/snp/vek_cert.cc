#include "attest/snp/vek_cert.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "attest/common/cert_util.h"

namespace pv::attest::snp {
namespace {

constexpr absl::string_view kAmdOidPrefix = "1.3.6.1.4.1.3704.1.";
constexpr int kMaxExtensions = 64;

absl::StatusOr<int64_t> DecodeDerInteger(ByteSpan value, absl::string_view oid) {
  const unsigned char* p = value.data();
  ASN1_INTEGER* raw = d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(value.size()));
  if (raw == nullptr || p != value.data() + value.size()) {
    ASN1_INTEGER_free(raw);
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat("VEK extension ", oid, ": not a single DER INTEGER"));
  }
  int64_t v = 0;
  const int ok = ASN1_INTEGER_get_int64(&v, raw);
  ASN1_INTEGER_free(raw);
  if (ok != 1) {
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(absl::StrCat("VEK extension ", oid, ": INTEGER too large"));
  }
  return v;
}

absl::StatusOr<std::string> DecodeIa5String(ByteSpan value, absl::string_view oid) {
  const unsigned char* p = value.data();
  ASN1_IA5STRING* raw = d2i_ASN1_IA5STRING(nullptr, &p, static_cast<long>(value.size()));
  if (raw == nullptr || p != value.data() + value.size()) {
    ASN1_IA5STRING_free(raw);
    DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat("VEK extension ", oid, ": not a single DER IA5String"));
  }
  std::string s(reinterpret_cast<const char*>(ASN1_STRING_get0_data(raw)),
                static_cast<size_t>(ASN1_STRING_length(raw)));
  ASN1_IA5STRING_free(raw);
  return s;
}

absl::StatusOr<uint8_t> DecodeSpl(ByteSpan value, absl::string_view oid) {
  auto v = DecodeDerInteger(value, oid);
  if (!v.ok()) return v.status();
  if (*v < 0 || *v > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("VEK extension ", oid, ": SPL ", *v, " is outside 0..255"));
  }
  return static_cast<uint8_t>(*v);
}

// Real AMD certificates carry the hwID as raw bytes (64, or 8 on Turin); some tools wrap it in
// an OCTET STRING. The lengths cannot collide (raw 8/64 vs wrapped 10/66), so both are read.
absl::StatusOr<Bytes> DecodeHwid(ByteSpan value) {
  if (value.size() == 64 || value.size() == 8) return Bytes(value.begin(), value.end());
  if ((value.size() == 66 || value.size() == 10) && value[0] == V_ASN1_OCTET_STRING &&
      value[1] == value.size() - 2) {
    return Bytes(value.begin() + 2, value.end());
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "VEK extension ", kAmdOidPrefix, "4 (hwID): ", value.size(),
      " bytes, expected 64 (Milan/Genoa) or 8 (Turin) raw bytes or an OCTET STRING of them"));
}

}  // namespace

absl::StatusOr<VekExtensions> ParseVekExtensions(const X509* cert) {
  VekExtensions ext;
  const int count = X509_get_ext_count(cert);
  if (count > kMaxExtensions) {
    return absl::InvalidArgumentError(absl::StrCat("VEK has ", count, " extensions"));
  }
  for (int i = 0; i < count; ++i) {
    X509_EXTENSION* e = X509_get_ext(cert, i);
    char oid_buf[80];
    const int n = OBJ_obj2txt(oid_buf, sizeof(oid_buf), X509_EXTENSION_get_object(e), 1);
    if (n <= 0 || n >= static_cast<int>(sizeof(oid_buf))) continue;
    const std::string oid(oid_buf);
    if (!absl::StartsWith(oid, kAmdOidPrefix)) continue;
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(e);
    const ByteSpan value(ASN1_STRING_get0_data(data),
                         static_cast<size_t>(ASN1_STRING_length(data)));
    const std::string suffix = oid.substr(kAmdOidPrefix.size());
    const auto spl = [&](std::optional<uint8_t>* out) -> absl::Status {
      auto v = DecodeSpl(value, oid);
      if (!v.ok()) return v.status();
      *out = *v;
      return absl::OkStatus();
    };
    absl::Status s;
    if (suffix == "1") {
      auto v = DecodeDerInteger(value, oid);
      if (!v.ok()) return v.status();
      ext.struct_version = *v;
    } else if (suffix == "2") {
      auto v = DecodeIa5String(value, oid);
      if (!v.ok()) return v.status();
      ext.product_name = *v;
    } else if (suffix == "3.1") {
      s = spl(&ext.bl_spl);
    } else if (suffix == "3.2") {
      s = spl(&ext.tee_spl);
    } else if (suffix == "3.3") {
      s = spl(&ext.snp_spl);
    } else if (suffix == "3.8") {
      s = spl(&ext.ucode_spl);
    } else if (suffix == "3.9") {
      s = spl(&ext.fmc_spl);
    } else if (suffix == "4") {
      auto v = DecodeHwid(value);
      if (!v.ok()) return v.status();
      ext.hwid = std::move(*v);
    } else if (suffix == "5") {
      auto v = DecodeIa5String(value, oid);
      if (!v.ok()) return v.status();
      ext.csp_id = *v;
    }
    // 3.4..3.7 are reserved SPLs (spl4..spl7); they are not part of any TCB layout in use.
    if (!s.ok()) return s;
  }
  return ext;
}

std::vector<std::pair<std::string, std::string>> DescribeVekExtensions(const VekExtensions& ext,
                                                                       const std::string& prefix) {
  std::vector<std::pair<std::string, std::string>> f;
  if (ext.struct_version)
    f.emplace_back(prefix + "STRUCT_VERSION", absl::StrCat(*ext.struct_version));
  if (ext.product_name) f.emplace_back(prefix + "PRODUCT_NAME", *ext.product_name);
  if (ext.fmc_spl) f.emplace_back(prefix + "FMC_SPL", absl::StrCat(*ext.fmc_spl));
  if (ext.bl_spl) f.emplace_back(prefix + "BL_SPL", absl::StrCat(*ext.bl_spl));
  if (ext.tee_spl) f.emplace_back(prefix + "TEE_SPL", absl::StrCat(*ext.tee_spl));
  if (ext.snp_spl) f.emplace_back(prefix + "SNP_SPL", absl::StrCat(*ext.snp_spl));
  if (ext.ucode_spl) f.emplace_back(prefix + "UCODE_SPL", absl::StrCat(*ext.ucode_spl));
  if (ext.hwid) f.emplace_back(prefix + "HWID", HexEncode(*ext.hwid));
  if (ext.csp_id) f.emplace_back(prefix + "CSP_ID", *ext.csp_id);
  return f;
}

}  // namespace pv::attest::snp
