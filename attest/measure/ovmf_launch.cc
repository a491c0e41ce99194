#include "attest/measure/ovmf_launch.h"

#include <openssl/evp.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace pv::attest::measure {
namespace {

const Guid kHashTableHeaderGuid = GuidFromString("9438d606-4f22-4cc9-b479-a793d411fd21");
const Guid kKernelEntryGuid = GuidFromString("4de79437-abd2-427f-b835-d5b172d2045b");
const Guid kInitrdEntryGuid = GuidFromString("44baf731-3a2f-4bd7-9af1-41e29169781d");
const Guid kCmdlineEntryGuid = GuidFromString("97d02dd8-bd20-4c94-aa78-e7714d36ab2a");
constexpr uint32_t kBspResetEip = 0xFFFFFFF0;

Sha256 Sha256Of(std::span<const uint8_t> b) {
  Sha256 out{};
  EVP_Digest(b.data(), b.size(), out.data(), nullptr, EVP_sha256(), nullptr);
  return out;
}

// The SNP_KERNEL_HASHES section: the hash table at its page offset in a NORMAL page, or ZERO
// pages when no kernel is measured.
absl::Status AddKernelHashesSection(SnpLaunchDigest& ld, const OvmfImage& ovmf,
                                    const OvmfSection& sec, const std::optional<KernelHashes>& k) {
  if (!k) return ld.AddEmptyRange(sec.gpa, sec.size, SnpPageType::kZero);
  std::optional<uint32_t> table_gpa = ovmf.SevHashesTableGpa();
  if (!table_gpa) {
    return absl::InvalidArgumentError(
        "firmware image: no SEV_HASH_TABLE_RV entry for the kernel hashes");
  }
  std::vector<uint8_t> table = SevHashTable(*k);
  const size_t offset = *table_gpa & 0xFFF;
  if (sec.size != kPageSize || offset + table.size() > kPageSize) {
    return absl::InvalidArgumentError(
        "firmware image: SNP_KERNEL_HASHES section is not one page holding the table");
  }
  std::array<uint8_t, kPageSize> page{};
  std::memcpy(page.data() + offset, table.data(), table.size());
  ld.AddPage(sec.gpa, SnpPageType::kNormal, page);
  return absl::OkStatus();
}

absl::Status AddMetadataSections(SnpLaunchDigest& ld, const OvmfImage& image,
                                 const std::optional<KernelHashes>& kernel, VmmType vmm) {
  for (const OvmfSection& sec : image.sections()) {
    absl::Status s;
    switch (sec.type) {
      case OvmfSectionType::kSnpSecMem:
        // GCE leaves SNP_SEC_MEM unmeasured; QEMU and EC2 measure it as zero pages.
        s = ld.AddEmptyRange(sec.gpa, sec.size,
                             vmm == VmmType::kGce ? SnpPageType::kUnmeasured : SnpPageType::kZero);
        break;
      case OvmfSectionType::kSnpSecrets:
        s = ld.AddEmptyRange(sec.gpa, sec.size, SnpPageType::kSecrets);
        break;
      case OvmfSectionType::kCpuid:
        if (vmm != VmmType::kEc2) s = ld.AddEmptyRange(sec.gpa, sec.size, SnpPageType::kCpuid);
        break;
      case OvmfSectionType::kSnpKernelHashes:
        s = AddKernelHashesSection(ld, image, sec, kernel);
        break;
      case OvmfSectionType::kSvsmCaa:
        s = ld.AddEmptyRange(sec.gpa, sec.size, SnpPageType::kZero);
        break;
    }
    if (!s.ok()) return s;
  }
  if (vmm == VmmType::kEc2) {  // EC2 measures the CPUID page after every other section
    for (const OvmfSection& sec : image.sections()) {
      if (sec.type != OvmfSectionType::kCpuid) continue;
      if (absl::Status s = ld.AddEmptyRange(sec.gpa, sec.size, SnpPageType::kCpuid); !s.ok()) {
        return s;
      }
    }
  }
  if (kernel && !image.HasSection(OvmfSectionType::kSnpKernelHashes)) {
    return absl::InvalidArgumentError(
        "Kernel specified but OVMF metadata doesn't include SNP_KERNEL_HASHES section");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> SnpDigest(const OvmfLaunchInputs& in) {
  const OvmfImage& ovmf = *in.ovmf;
  SnpLaunchDigest ld = in.snp_ovmf_hash ? SnpLaunchDigest(*in.snp_ovmf_hash) : SnpLaunchDigest();
  if (!in.snp_ovmf_hash) {
    if (absl::Status s = ld.AddNormalRange(ovmf.gpa(), ovmf.data()); !s.ok()) return s;
  }
  if (absl::Status s = AddMetadataSections(ld, ovmf, in.kernel, in.vmm); !s.ok()) return s;
  absl::StatusOr<uint32_t> ap_eip = ovmf.SevEsResetEip();
  if (!ap_eip.ok() && in.vcpus > 1) return ap_eip.status();
  for (uint32_t i = 0; i < in.vcpus; ++i) {
    const uint32_t eip = i == 0 ? kBspResetEip : *ap_eip;
    VmsaPage page = EncodeVmsa(ResetVmsaState(eip, in.guest_features, in.vcpu_sig, in.vmm));
    ld.AddPage(kKvmVmsaGpa, SnpPageType::kVmsa, page);
  }
  return std::vector<uint8_t>(ld.digest().begin(), ld.digest().end());
}

absl::StatusOr<std::vector<uint8_t>> SvsmDigest(const OvmfLaunchInputs& in) {
  if (in.svsm == nullptr) return absl::InvalidArgumentError("snp:svsm mode needs an SVSM image");
  if (in.vmm != VmmType::kQemu) return absl::InvalidArgumentError("snp:svsm mode is QEMU only");
  const OvmfImage& svsm = *in.svsm;
  absl::StatusOr<uint32_t> info = svsm.TableEntryU32(kSvsmInfoGuid, "SVSM_INFO");
  if (!info.ok()) return info.status();
  SnpLaunchDigest ld;
  if (absl::Status s = ld.AddNormalRange(in.ovmf->gpa(), in.ovmf->data()); !s.ok()) return s;
  if (absl::Status s = ld.AddNormalRange(svsm.gpa(), svsm.data()); !s.ok()) return s;
  if (absl::Status s = AddMetadataSections(ld, svsm, std::nullopt, VmmType::kQemu); !s.ok()) {
    return s;
  }
  VmsaPage page = EncodeVmsa(SvsmVmsaState(svsm.gpa() + *info, in.vcpu_sig));
  for (uint32_t i = 0; i < in.vcpus; ++i) ld.AddPage(kKvmVmsaGpa, SnpPageType::kVmsa, page);
  return std::vector<uint8_t>(ld.digest().begin(), ld.digest().end());
}

// SEV and SEV-ES: one SHA-256 over the image, the hash table and (SEV-ES) the VMSAs.
absl::StatusOr<std::vector<uint8_t>> LegacyDigest(const OvmfLaunchInputs& in) {
  const OvmfImage& ovmf = *in.ovmf;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  EVP_DigestUpdate(md, ovmf.data().data(), ovmf.data().size());
  absl::Status status;
  if (in.kernel) {
    if (!ovmf.SevHashesTableGpa()) {
      status = absl::InvalidArgumentError(
          "Kernel specified but OVMF doesn't support kernel/initrd/cmdline measurement");
    } else {
      std::vector<uint8_t> table = SevHashTable(*in.kernel);
      EVP_DigestUpdate(md, table.data(), table.size());
    }
  }
  if (status.ok() && in.mode == SevMode::kSevEs) {
    absl::StatusOr<uint32_t> ap_eip = ovmf.SevEsResetEip();
    if (!ap_eip.ok() && in.vcpus > 1) status = ap_eip.status();
    for (uint32_t i = 0; status.ok() && i < in.vcpus; ++i) {
      const uint32_t eip = i == 0 ? kBspResetEip : *ap_eip;
      VmsaPage page = EncodeVmsa(ResetVmsaState(eip, 0, in.vcpu_sig, in.vmm));
      EVP_DigestUpdate(md, page.data(), page.size());
    }
  }
  std::vector<uint8_t> out(32);
  unsigned int len = 0;
  EVP_DigestFinal_ex(md, out.data(), &len);
  EVP_MD_CTX_free(md);
  if (!status.ok()) return status;
  return out;
}

}  // namespace

KernelHashes HashKernelInputs(std::span<const uint8_t> kernel, std::span<const uint8_t> initrd,
                              const std::string& cmdline) {
  KernelHashes h;
  h.kernel = Sha256Of(kernel);
  h.initrd = Sha256Of(initrd);
  std::vector<uint8_t> c(cmdline.begin(), cmdline.end());
  c.push_back(0);
  h.cmdline = Sha256Of(c);
  return h;
}

std::vector<uint8_t> SevHashTable(const KernelHashes& h) {
  constexpr size_t kEntry = 16 + 2 + 32;
  constexpr size_t kLength = 16 + 2 + 3 * kEntry;  // 168
  std::vector<uint8_t> t((kLength + 15) & ~size_t{15}, 0);
  auto put_entry = [&](size_t off, const Guid& g, const Sha256& d) {
    std::memcpy(t.data() + off, g.data(), 16);
    t[off + 16] = static_cast<uint8_t>(kEntry);
    std::memcpy(t.data() + off + 18, d.data(), 32);
  };
  std::memcpy(t.data(), kHashTableHeaderGuid.data(), 16);
  t[16] = static_cast<uint8_t>(kLength);
  put_entry(18, kCmdlineEntryGuid, h.cmdline);
  put_entry(18 + kEntry, kInitrdEntryGuid, h.initrd);
  put_entry(18 + 2 * kEntry, kKernelEntryGuid, h.kernel);
  return t;
}

absl::StatusOr<std::vector<uint8_t>> OvmfLaunchDigest(const OvmfLaunchInputs& in) {
  if (in.ovmf == nullptr) return absl::InvalidArgumentError("no OVMF image");
  if (in.vcpus == 0 || in.vcpus > 512) {
    return absl::InvalidArgumentError(absl::StrCat("vCPU count ", in.vcpus, " is outside 1..512"));
  }
  if (in.snp_ovmf_hash && in.mode != SevMode::kSnp) {
    return absl::InvalidArgumentError("a precomputed OVMF hash only works with SNP");
  }
  switch (in.mode) {
    case SevMode::kSnp:
      return SnpDigest(in);
    case SevMode::kSnpSvsm:
      return SvsmDigest(in);
    case SevMode::kSev:
    case SevMode::kSevEs:
      return LegacyDigest(in);
  }
  return absl::InvalidArgumentError("unknown SEV mode");
}

}  // namespace pv::attest::measure
