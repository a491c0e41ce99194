#include "attest/hcl/hcl_report.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "attest/common/cert_util.h"
#include "attest/snp/snp_report.h"

namespace pv::attest::hcl {
namespace {

constexpr uint8_t kSignature[4] = {'H', 'C', 'L', 'A'};
constexpr size_t kSnpReportDataOffset = 0x50;

absl::Status Error(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("HCL report: ", what));
}

std::string Hex(ByteSpan data, size_t offset, size_t size) {
  return HexEncode(data.subspan(offset, size));
}

}  // namespace

const char* HclReport::HashName() const {
  switch (hash_type) {
    case 1:
      return "SHA256";
    case 2:
      return "SHA384";
    default:
      return "SHA512";
  }
}

size_t HclReport::HashSize() const {
  return hash_type == 1 ? 32 : hash_type == 2 ? 48 : 64;
}

bool LooksLikeHclReport(ByteSpan data) {
  return data.size() >= sizeof(kSignature) && std::equal(kSignature, kSignature + 4, data.begin());
}

absl::StatusOr<HclReport> ParseHclReport(ByteSpan data) {
  if (data.size() > kMaxHclReportSize) {
    return Error(absl::StrCat(data.size(), " bytes, limit ", kMaxHclReportSize));
  }
  if (data.size() < kRequestDataOffset + kRequestDataFixedSize) {
    return Error(absl::StrCat("truncated: ", data.size(),
                              " bytes, the header, hardware report "
                              "and request data header need ",
                              kRequestDataOffset + kRequestDataFixedSize));
  }
  if (!LooksLikeHclReport(data)) {
    return Error(
        absl::StrFormat("signature (offset 0) is %s, expected \"HCLA\"", HexEncode(data.first(4))));
  }
  HclReport r;
  r.version = LoadLe32(&data[4]);
  r.report_size = LoadLe32(&data[8]);
  r.request_type = LoadLe32(&data[12]);
  r.status = LoadLe32(&data[16]);
  if (r.report_size < kRequestDataOffset + kRequestDataFixedSize || r.report_size > data.size()) {
    return Error(absl::StrFormat(
        "header.report_size (offset 0x8) is %u, expected %u..%u (the file is %u bytes)",
        r.report_size, kRequestDataOffset + kRequestDataFixedSize, data.size(), data.size()));
  }
  const ByteSpan request = data.subspan(kRequestDataOffset, r.report_size - kRequestDataOffset);
  const uint32_t data_size = LoadLe32(&request[0]);
  r.request_data_version = LoadLe32(&request[4]);
  const uint32_t report_type = LoadLe32(&request[8]);
  r.hash_type = LoadLe32(&request[12]);
  const uint32_t variable_size = LoadLe32(&request[16]);
  if (data_size != request.size()) {
    return Error(absl::StrFormat(
        "request_data.data_size (offset 0x4C0) is %u, but header.report_size leaves %u bytes "
        "after the hardware report",
        data_size, request.size()));
  }
  if (variable_size > data_size - kRequestDataFixedSize) {
    return Error(absl::StrFormat(
        "request_data.variable_data_size (offset 0x4D0) is %u, more than the %u bytes after the "
        "request data header",
        variable_size, data_size - kRequestDataFixedSize));
  }
  if (report_type != static_cast<uint32_t>(HclReportType::kSnp) &&
      report_type != static_cast<uint32_t>(HclReportType::kTdx)) {
    return Error(absl::StrFormat(
        "request_data.report_type (offset 0x4C8) is %u, supported are 2 (SEV-SNP) and 4 (TDX)",
        report_type));
  }
  r.type = static_cast<HclReportType>(report_type);
  if (r.hash_type < 1 || r.hash_type > 3) {
    return Error(
        absl::StrFormat("request_data.report_data_hash_type (offset 0x4CC) is %u, "
                        "expected 1 (SHA-256), 2 (SHA-384) or 3 (SHA-512)",
                        r.hash_type));
  }
  const ByteSpan hardware = data.subspan(kHeaderSize, kHardwareReportSize);
  if (r.type == HclReportType::kSnp) {
    static_assert(snp::kReportSize == kHardwareReportSize);
    r.hardware_report.assign(hardware.begin(), hardware.end());
  } else {
    if (!AllZero(hardware.subspan(kTdReportSize))) {
      return Error("bytes 0x420..0x4C0 after the 1024-byte TDREPORT are not zero");
    }
    r.hardware_report.assign(hardware.begin(), hardware.begin() + kTdReportSize);
  }
  const ByteSpan claims = request.subspan(request.size() - variable_size);
  r.runtime_claims.assign(claims.begin(), claims.end());
  r.length.structure_size = r.report_size;
  r.length.trailing = data.size() - r.report_size;
  r.length.trailing_all_zero = AllZero(data.subspan(r.report_size));
  return r;
}

ByteSpan HardwareReportData(const HclReport& r) {
  const size_t offset =
      r.type == HclReportType::kSnp ? kSnpReportDataOffset : TdReportLayout::kReportData;
  return ByteSpan(r.hardware_report).subspan(offset, 64);
}

std::string CheckRuntimeClaimsBinding(const HclReport& r) {
  auto digest = DigestOf(r.HashName(), r.runtime_claims);
  if (!digest.ok()) return absl::StrCat("fail:hash-error ", digest.status().message());
  const ByteSpan report_data = HardwareReportData(r);
  const ByteSpan bound = report_data.first(digest->size());
  if (!std::equal(bound.begin(), bound.end(), digest->begin())) {
    return absl::StrCat("fail:hash-mismatch REPORT_DATA[0:", digest->size(), "]=", HexEncode(bound),
                        " ", r.HashName(), "(runtime claims)=", HexEncode(*digest));
  }
  if (!AllZero(report_data.subspan(digest->size()))) {
    return absl::StrCat("fail:nonzero-padding REPORT_DATA[", digest->size(),
                        ":64]=", HexEncode(report_data.subspan(digest->size())),
                        " (expected zero after the claims digest)");
  }
  return "ok";
}

std::vector<std::pair<std::string, std::string>> DescribeHclReport(const HclReport& r) {
  std::vector<std::pair<std::string, std::string>> f;
  f.emplace_back("HCL.VERSION", absl::StrCat(r.version));
  f.emplace_back("HCL.REPORT_SIZE", absl::StrCat(r.report_size));
  f.emplace_back("HCL.REQUEST_TYPE", absl::StrCat(r.request_type));
  f.emplace_back("HCL.STATUS", absl::StrCat(r.status));
  f.emplace_back("HCL.REPORT_TYPE", r.type == HclReportType::kSnp ? "SEV-SNP" : "TDX");
  f.emplace_back("HCL.REQUEST_DATA_VERSION", absl::StrCat(r.request_data_version));
  f.emplace_back("HCL.REPORT_DATA_HASH", r.HashName());
  f.emplace_back("HCL.TRAILING_BYTES", absl::StrCat(r.length.trailing));
  const auto json = nlohmann::ordered_json::parse(r.runtime_claims.begin(), r.runtime_claims.end(),
                                                  nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    f.emplace_back("HCL.RUNTIME_CLAIMS.ERROR", "the runtime claims are not a JSON object");
    return f;
  }
  const auto dump = [](const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::ordered_json::error_handler_t::replace);
  };
  f.emplace_back("HCL.RUNTIME_CLAIMS", dump(json));
  if (json.contains("keys") && json["keys"].is_array()) {
    for (const auto& key : json["keys"]) {
      if (key.is_object() && key.contains("kid") && key["kid"] == "HCLAkPub") {
        f.emplace_back("HCL.AK_PUB", dump(key));
      }
    }
  }
  if (json.contains("vm-configuration")) {
    f.emplace_back("HCL.VM_CONFIGURATION", dump(json["vm-configuration"]));
  }
  if (json.contains("user-data")) {
    const auto& user = json["user-data"];
    f.emplace_back("HCL.USER_DATA", user.is_string() ? user.get<std::string>() : dump(user));
  }
  return f;
}

std::string CheckTdReportHashes(ByteSpan t) {
  using L = TdReportLayout;
  if (t.size() != kTdReportSize) {
    return absl::StrCat("fail:malformed TDREPORT is ", t.size(), " bytes, expected 1024");
  }
  if (t[L::kReportType] != 0x81) {
    return absl::StrFormat("fail:not-tdx REPORTTYPE.TYPE is 0x%02x, expected 0x81 (TDX)",
                           t[L::kReportType]);
  }
  const std::pair<const char*, std::pair<size_t, std::pair<size_t, size_t>>> hashes[] = {
      {"TEE_TCB_INFO_HASH", {L::kTeeTcbInfoHash, {L::kTeeTcbInfo, L::kTeeTcbInfoSize}}},
      {"TEE_INFO_HASH", {L::kTeeInfoHash, {L::kTdInfo, L::kTdInfoSize}}},
  };
  for (const auto& [name, where] : hashes) {
    const auto& [hash_offset, part] = where;
    auto digest = DigestOf("SHA384", t.subspan(part.first, part.second));
    if (!digest.ok()) return absl::StrCat("fail:hash-error ", digest.status().message());
    const ByteSpan seen = t.subspan(hash_offset, 48);
    if (!std::equal(seen.begin(), seen.end(), digest->begin())) {
      return absl::StrCat("fail:hash-mismatch ", name, "=", HexEncode(seen),
                          " SHA-384 of the structure=", HexEncode(*digest));
    }
  }
  return "ok";
}

std::vector<std::pair<std::string, std::string>> DescribeTdReport(ByteSpan t,
                                                                  const std::string& prefix) {
  using L = TdReportLayout;
  std::vector<std::pair<std::string, std::string>> f;
  if (t.size() != kTdReportSize) return f;
  const auto add = [&](const char* name, size_t offset, size_t size) {
    f.emplace_back(absl::StrCat(prefix, name), Hex(t, offset, size));
  };
  add("REPORTTYPE", L::kReportType, 4);
  add("CPUSVN", L::kCpuSvn, 16);
  add("TEE_TCB_INFO_HASH", L::kTeeTcbInfoHash, 48);
  add("TEE_INFO_HASH", L::kTeeInfoHash, 48);
  add("REPORT_DATA", L::kReportData, 64);
  add("MAC", L::kMac, 32);
  const size_t tcb = L::kTeeTcbInfo;
  add("TEE_TCB_INFO.VALID", tcb, 8);
  add("TEE_TCB_SVN", tcb + 8, 16);
  add("MRSEAM", tcb + 24, 48);
  add("MRSIGNERSEAM", tcb + 72, 48);
  add("SEAM_ATTRIBUTES", tcb + 120, 8);
  const size_t td = L::kTdInfo;
  add("TD_ATTRIBUTES", td, 8);
  add("XFAM", td + 8, 8);
  add("MRTD", td + 16, 48);
  add("MRCONFIGID", td + 64, 48);
  add("MROWNER", td + 112, 48);
  add("MROWNERCONFIG", td + 160, 48);
  for (int i = 0; i < 4; ++i)
    add(absl::StrCat("RTMR", i).c_str(), td + 208 + size_t{48} * static_cast<size_t>(i), 48);
  return f;
}

}  // namespace pv::attest::hcl
