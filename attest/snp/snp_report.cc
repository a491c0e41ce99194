#include "attest/snp/snp_report.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "attest/common/signature_util.h"
#include "attest/snp/snp_tcb.h"

namespace pv::attest::snp {
namespace {

// Offsets from the ATTESTATION_REPORT table.
constexpr size_t kOffVersion = 0x000;
constexpr size_t kOffGuestSvn = 0x004;
constexpr size_t kOffPolicy = 0x008;
constexpr size_t kOffFamilyId = 0x010;
constexpr size_t kOffImageId = 0x020;
constexpr size_t kOffVmpl = 0x030;
constexpr size_t kOffSignatureAlgo = 0x034;
constexpr size_t kOffCurrentTcb = 0x038;
constexpr size_t kOffPlatformInfo = 0x040;
constexpr size_t kOffSignerInfo = 0x048;
constexpr size_t kOffReportData = 0x050;
constexpr size_t kOffMeasurement = 0x090;
constexpr size_t kOffHostData = 0x0C0;
constexpr size_t kOffIdKeyDigest = 0x0E0;
constexpr size_t kOffAuthorKeyDigest = 0x110;
constexpr size_t kOffReportId = 0x140;
constexpr size_t kOffReportIdMa = 0x160;
constexpr size_t kOffReportedTcb = 0x180;
constexpr size_t kOffCpuidFamId = 0x188;
constexpr size_t kOffChipId = 0x1A0;
constexpr size_t kOffCommittedTcb = 0x1E0;
constexpr size_t kOffCurrentBuild = 0x1E8;
constexpr size_t kOffCommittedBuild = 0x1EC;
constexpr size_t kOffLaunchTcb = 0x1F0;
constexpr size_t kOffLaunchMitVector = 0x1F8;
constexpr size_t kOffCurrentMitVector = 0x200;

template <size_t N>
void CopyField(ByteSpan data, size_t offset, std::array<uint8_t, N>* out) {
  std::memcpy(out->data(), data.data() + offset, N);
}

absl::Status CheckReservedZero(ByteSpan data, size_t begin, size_t end, absl::string_view what) {
  for (size_t i = begin; i < end; ++i) {
    if (data[i] != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "SNP report: reserved field %s (0x%03X..0x%03X) must be zero, byte 0x%03X is 0x%02X",
          what, begin, end - 1, i, data[i]));
    }
  }
  return absl::OkStatus();
}

std::string Hex64(uint64_t v) {
  return absl::StrFormat("0x%016x", v);
}

}  // namespace

std::string SigningKeyName(SigningKey key) {
  switch (key) {
    case SigningKey::kVcek:
      return "VCEK";
    case SigningKey::kVlek:
      return "VLEK";
    case SigningKey::kNone:
      return "none";
  }
  return absl::StrCat("reserved(", static_cast<int>(key), ")");
}

bool SignatureIsLowS(const SnpReport& r) {
  std::array<uint8_t, kSignatureComponentSize> big_endian;
  std::reverse_copy(r.signature_s.begin(), r.signature_s.end(), big_endian.begin());
  return IsLowS(big_endian, "secp384r1");
}

ByteSpan SnpReportPrefix(ByteSpan data) {
  return data.size() > kReportSize ? data.first(kReportSize) : data;
}

EvidenceLength SnpReportLength(ByteSpan data) {
  EvidenceLength length;
  length.structure_size = kReportSize;
  if (data.size() > kReportSize) {
    length.trailing = data.size() - kReportSize;
    length.trailing_all_zero = AllZero(data.subspan(kReportSize));
  }
  return length;
}

absl::StatusOr<SnpReport> ParseSnpReport(ByteSpan data) {
  if (data.size() != kReportSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SNP report: size is %u bytes, an ATTESTATION_REPORT is exactly %u (0x%X) bytes%s",
        data.size(), kReportSize, kReportSize,
        data.size() > kReportSize ? " (trailing bytes)" : " (truncated)"));
  }
  SnpReport r;
  r.version = LoadLe32(&data[kOffVersion]);
  if (r.version < kMinReportVersion || r.version > kMaxReportVersion) {
    return absl::InvalidArgumentError(
        absl::StrFormat("SNP report: VERSION (0x000) is %u, supported versions are %u..%u",
                        r.version, kMinReportVersion, kMaxReportVersion));
  }
  r.guest_svn = LoadLe32(&data[kOffGuestSvn]);
  r.policy = LoadLe64(&data[kOffPolicy]);
  if ((r.policy & policy_bits::kReservedMustBeOne) == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SNP report: POLICY (0x008) is %s, reserved bit 17 must be 1", Hex64(r.policy)));
  }
  if ((r.policy & policy_bits::kMustBeZeroMask) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SNP report: POLICY (0x008) is %s, reserved bits 26..63 must be 0 (seen %s)",
        Hex64(r.policy), Hex64(r.policy & policy_bits::kMustBeZeroMask)));
  }
  CopyField(data, kOffFamilyId, &r.family_id);
  CopyField(data, kOffImageId, &r.image_id);
  r.vmpl = LoadLe32(&data[kOffVmpl]);
  r.signature_algo = LoadLe32(&data[kOffSignatureAlgo]);
  if (r.signature_algo != kSignatureAlgoEcdsaP384Sha384) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SNP report: SIGNATURE_ALGO (0x034) is %u, expected 1 (ECDSA P-384 with SHA-384)",
        r.signature_algo));
  }
  r.current_tcb = LoadLe64(&data[kOffCurrentTcb]);
  r.platform_info = LoadLe64(&data[kOffPlatformInfo]);
  r.signer_info = LoadLe32(&data[kOffSignerInfo]);
  if ((r.signer_info >> 5) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SNP report: SIGNER_INFO (0x048) is 0x%08x, reserved bits 5..31 must be 0", r.signer_info));
  }
  const uint32_t signing_key = (r.signer_info >> 2) & 7;
  if (signing_key >= 2 && signing_key <= 6) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SNP report: SIGNER_INFO.SIGNING_KEY (0x048 bits 2..4) is %u, expected 0 (VCEK), "
        "1 (VLEK) or 7 (none)",
        signing_key));
  }
  if (auto s = CheckReservedZero(data, 0x04C, 0x050, "after SIGNER_INFO"); !s.ok()) return s;
  CopyField(data, kOffReportData, &r.report_data);
  CopyField(data, kOffMeasurement, &r.measurement);
  CopyField(data, kOffHostData, &r.host_data);
  CopyField(data, kOffIdKeyDigest, &r.id_key_digest);
  CopyField(data, kOffAuthorKeyDigest, &r.author_key_digest);
  CopyField(data, kOffReportId, &r.report_id);
  CopyField(data, kOffReportIdMa, &r.report_id_ma);
  r.reported_tcb = LoadLe64(&data[kOffReportedTcb]);
  if (r.has_cpuid()) {
    r.cpuid_fam_id = data[kOffCpuidFamId];
    r.cpuid_mod_id = data[kOffCpuidFamId + 1];
    r.cpuid_step = data[kOffCpuidFamId + 2];
    if (auto s = CheckReservedZero(data, 0x18B, 0x1A0, "after CPUID_STEP"); !s.ok()) return s;
  } else {
    if (auto s = CheckReservedZero(data, 0x188, 0x1A0, "after REPORTED_TCB (v2)"); !s.ok()) {
      return s;
    }
  }
  CopyField(data, kOffChipId, &r.chip_id);
  r.committed_tcb = LoadLe64(&data[kOffCommittedTcb]);
  r.current_build = data[kOffCurrentBuild];
  r.current_minor = data[kOffCurrentBuild + 1];
  r.current_major = data[kOffCurrentBuild + 2];
  if (auto s = CheckReservedZero(data, 0x1EB, 0x1EC, "after CURRENT_MAJOR"); !s.ok()) return s;
  r.committed_build = data[kOffCommittedBuild];
  r.committed_minor = data[kOffCommittedBuild + 1];
  r.committed_major = data[kOffCommittedBuild + 2];
  if (auto s = CheckReservedZero(data, 0x1EF, 0x1F0, "after COMMITTED_MAJOR"); !s.ok()) return s;
  r.launch_tcb = LoadLe64(&data[kOffLaunchTcb]);
  if (r.has_mitigation_vectors()) {
    r.launch_mit_vector = LoadLe64(&data[kOffLaunchMitVector]);
    r.current_mit_vector = LoadLe64(&data[kOffCurrentMitVector]);
  } else {
    if (auto s = CheckReservedZero(data, 0x1F8, 0x208, "mitigation vectors (before v5)"); !s.ok()) {
      return s;
    }
  }
  if (auto s = CheckReservedZero(data, 0x208, 0x2A0, "before SIGNATURE"); !s.ok()) return s;
  CopyField(data, kSignatureOffset, &r.signature_r);
  CopyField(data, kSignatureOffset + kSignatureComponentSize, &r.signature_s);
  if (auto s = CheckReservedZero(data, kSignatureOffset + 2 * kSignatureComponentSize, kReportSize,
                                 "SIGNATURE tail after R and S");
      !s.ok()) {
    return s;
  }
  std::memcpy(r.signed_bytes.data(), data.data(), kSignedRegionSize);
  return r;
}

std::vector<std::pair<std::string, std::string>> DescribeSnpReport(const SnpReport& r) {
  std::vector<std::pair<std::string, std::string>> f;
  const auto add = [&f](std::string name, std::string value) {
    f.emplace_back(std::move(name), std::move(value));
  };
  const Product product =
      r.has_cpuid() ? ProductFromCpuid(r.cpuid_fam_id, r.cpuid_mod_id) : Product::kUnknown;
  add("VERSION", absl::StrCat(r.version));
  add("GUEST_SVN", absl::StrCat(r.guest_svn));
  add("POLICY", Hex64(r.policy));
  add("POLICY.ABI_MAJOR", absl::StrCat((r.policy >> 8) & 0xff));
  add("POLICY.ABI_MINOR", absl::StrCat(r.policy & 0xff));
  add("POLICY.SMT", r.smt_allowed() ? "true" : "false");
  add("POLICY.MIGRATE_MA", r.migrate_ma() ? "true" : "false");
  add("POLICY.DEBUG", r.debug() ? "true" : "false");
  add("POLICY.SINGLE_SOCKET", (r.policy & policy_bits::kSingleSocket) ? "true" : "false");
  add("POLICY.CXL_ALLOW", (r.policy & policy_bits::kCxlAllow) ? "true" : "false");
  add("POLICY.MEM_AES_256_XTS", (r.policy & policy_bits::kMemAes256Xts) ? "true" : "false");
  add("POLICY.RAPL_DIS", (r.policy & policy_bits::kRaplDis) ? "true" : "false");
  add("POLICY.CIPHERTEXT_HIDING", (r.policy & policy_bits::kCiphertextHiding) ? "true" : "false");
  add("POLICY.PAGE_SWAP_DISABLE", (r.policy & policy_bits::kPageSwapDisable) ? "true" : "false");
  add("FAMILY_ID", HexEncode(r.family_id));
  add("IMAGE_ID", HexEncode(r.image_id));
  add("VMPL", absl::StrCat(r.vmpl));
  add("SIGNATURE_ALGO", absl::StrCat(r.signature_algo));
  add("PLATFORM_INFO", Hex64(r.platform_info));
  add("PLATFORM_INFO.SMT_EN", (r.platform_info & 1) ? "true" : "false");
  add("PLATFORM_INFO.TSME_EN", (r.platform_info & 2) ? "true" : "false");
  add("PLATFORM_INFO.ECC_EN", (r.platform_info & 4) ? "true" : "false");
  add("PLATFORM_INFO.RAPL_DIS", (r.platform_info & 8) ? "true" : "false");
  add("PLATFORM_INFO.CIPHERTEXT_HIDING_EN", (r.platform_info & 16) ? "true" : "false");
  add("PLATFORM_INFO.ALIAS_CHECK_COMPLETE", (r.platform_info & 32) ? "true" : "false");
  add("PLATFORM_INFO.TIO_EN", (r.platform_info & 128) ? "true" : "false");
  add("SIGNER_INFO", absl::StrFormat("0x%08x", r.signer_info));
  add("SIGNER_INFO.AUTHOR_KEY_EN", r.author_key_en() ? "true" : "false");
  add("SIGNER_INFO.MASK_CHIP_KEY", r.mask_chip_key() ? "true" : "false");
  add("SIGNER_INFO.SIGNING_KEY", SigningKeyName(r.signing_key()));
  add("REPORT_DATA", HexEncode(r.report_data));
  add("MEASUREMENT", HexEncode(r.measurement));
  add("HOST_DATA", HexEncode(r.host_data));
  add("ID_KEY_DIGEST", HexEncode(r.id_key_digest));
  add("AUTHOR_KEY_DIGEST", HexEncode(r.author_key_digest));
  add("REPORT_ID", HexEncode(r.report_id));
  add("REPORT_ID_MA", HexEncode(r.report_id_ma));
  if (r.has_cpuid()) {
    add("CPUID_FAM_ID", absl::StrFormat("0x%02x", r.cpuid_fam_id));
    add("CPUID_MOD_ID", absl::StrFormat("0x%02x", r.cpuid_mod_id));
    add("CPUID_STEP", absl::StrFormat("0x%02x", r.cpuid_step));
    add("PRODUCT(CPUID)", std::string(ProductName(product)));
  }
  add("CHIP_ID", HexEncode(r.chip_id));
  const auto tcb = [&](const std::string& name, uint64_t v) {
    add(name, Hex64(v));
    if (product != Product::kUnknown) {
      add(name + ".PARTS", TcbPartsToString(DecodeTcb(v, LayoutForProduct(product))));
    }
  };
  tcb("CURRENT_TCB", r.current_tcb);
  tcb("REPORTED_TCB", r.reported_tcb);
  tcb("COMMITTED_TCB", r.committed_tcb);
  tcb("LAUNCH_TCB", r.launch_tcb);
  add("CURRENT_VERSION",
      absl::StrFormat("%u.%u.%u", r.current_major, r.current_minor, r.current_build));
  add("COMMITTED_VERSION",
      absl::StrFormat("%u.%u.%u", r.committed_major, r.committed_minor, r.committed_build));
  if (r.has_mitigation_vectors()) {
    add("LAUNCH_MIT_VECTOR", Hex64(r.launch_mit_vector));
    add("CURRENT_MIT_VECTOR", Hex64(r.current_mit_vector));
  }
  add("SIGNATURE.R", HexEncode(r.signature_r));
  add("SIGNATURE.S", HexEncode(r.signature_s));
  add("SIGNATURE.LOW_S", SignatureIsLowS(r) ? "true" : "false");
  return f;
}

}  // namespace pv::attest::snp
