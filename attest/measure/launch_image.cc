#include "attest/measure/launch_image.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "attest/measure/multiboot_image.h"
#include "attest/measure/tdx_mrtd.h"
#include "attest/measure/vmsa.h"
#include "protocol/attest/secrets_page.h"

namespace pv::attest::measure {
namespace {

constexpr uint64_t AlignUp(uint64_t v) {
  return (v + kPageSize - 1) & ~uint64_t{kPageSize - 1};
}

// Multiboot information (v1) as the paravisor's boot/multiboot.cpp reads it.
constexpr uint32_t kMbiFlagMem = 1u << 0, kMbiFlagCmdline = 1u << 2, kMbiFlagMods = 1u << 3,
                   kMbiFlagMmap = 1u << 6;
constexpr uint32_t kMmapAvailable = 1, kMmapReserved = 2;
constexpr uint64_t kLowRamEnd = 0x9F000;  // conventional memory the map reports usable
// Offsets inside the boot-information pages.
constexpr size_t kHandoffOff = 0x000, kMbiOff = 0x010, kModsOff = 0x080, kMmapOff = 0x100,
                 kFwCmdlineOff = 0x200, kGuestCmdlineOff = 0x700, kGuestCmdlineStride = 0x100;
static_assert(kFwCmdlineOff + kMaxFirmwareCmdline + 1 <= kGuestCmdlineOff);
static_assert(kGuestCmdlineOff + kMaxGuests * kGuestCmdlineStride <= kBootInfoPages * kPageSize);
static_assert(kMaxGuestCmdline + 1 <= kGuestCmdlineStride);
static_assert(kBootInfoGpa + kBootInfoPages * kPageSize == pv::attest_proto::kCpuidPageGpa);
static_assert(pv::attest_proto::kCpuidPageGpa + kPageSize == pv::attest_proto::kSecretsPageGpa);

void Put32(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The single writer + measurer: each page goes to memory first, then into both digests.
class MeasuringWriter {
 public:
  explicit MeasuringWriter(LaunchMemory* memory) : memory_(memory) {}

  absl::Status Page(uint64_t gpa, SnpPageType type, PageView page) {
    if (memory_ != nullptr) {
      if (absl::Status s = memory_->WritePage(gpa, type, page); !s.ok()) return s;
    }
    snp_.AddPage(gpa, type, page);
    switch (type) {
      case SnpPageType::kNormal:
        tdx_.AddMeasuredPage(gpa, page);
        break;
      case SnpPageType::kVmsa:
        break;  // no TDX counterpart
      default:
        tdx_.PageAdd(gpa);
        break;
    }
    return absl::OkStatus();
  }

  // `bytes` at `gpa` (page aligned), the last page zero-padded; then ZERO pages up to `end`.
  absl::Status Region(const char* name, uint64_t gpa, std::span<const uint8_t> bytes, uint64_t end,
                      SnpPageType type = SnpPageType::kNormal) {
    const uint64_t first = snp_.pages();
    std::array<uint8_t, kPageSize> page;
    for (size_t off = 0; off < bytes.size(); off += kPageSize) {
      const size_t n = std::min(kPageSize, bytes.size() - off);
      page.fill(0);
      std::memcpy(page.data(), bytes.data() + off, n);
      if (absl::Status s = Page(gpa + off, type, page); !s.ok()) return s;
    }
    uint64_t measured_end = gpa + AlignUp(bytes.size());
    Note(name, gpa, snp_.pages() - first, type);
    if (end > measured_end) {
      const uint64_t zero_first = snp_.pages();
      page.fill(0);
      for (uint64_t a = measured_end; a < end; a += kPageSize) {
        if (absl::Status s = Page(a, SnpPageType::kZero, page); !s.ok()) return s;
      }
      Note(absl::StrCat(name, " (zero-filled)"), measured_end, snp_.pages() - zero_first,
           SnpPageType::kZero);
    }
    return absl::OkStatus();
  }

  void Note(std::string name, uint64_t gpa, uint64_t pages, SnpPageType type) {
    if (pages > 0) regions_.push_back({std::move(name), gpa, pages, type});
  }

  LaunchMeasurement Result() {
    LaunchMeasurement m;
    m.snp_launch_digest = snp_.digest();
    m.tdx_mrtd = tdx_.Finalize();
    m.pages = snp_.pages();
    m.regions = std::move(regions_);
    return m;
  }

 private:
  LaunchMemory* memory_;
  SnpLaunchDigest snp_;
  TdxMrtd tdx_;
  std::vector<LaunchRegion> regions_;
};

absl::Status CheckString(const std::string& s, size_t max, const char* what) {
  if (s.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", s.size(), " bytes (at most ", max, ")"));
  }
  if (s.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " contains a NUL byte"));
  }
  return absl::OkStatus();
}

absl::Status CheckInputs(const LaunchInputs& in) {
  if (in.firmware.empty() || in.firmware.size() > kMaxFirmwareBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("firmware is ", in.firmware.size(), " bytes (1..", kMaxFirmwareBytes, ")"));
  }
  if (in.guests.size() > kMaxGuests) {
    return absl::InvalidArgumentError(
        absl::StrCat(in.guests.size(), " guests (at most ", kMaxGuests, ")"));
  }
  for (size_t i = 0; i < in.guests.size(); ++i) {
    if (in.guests[i].image.empty() || in.guests[i].image.size() > kMaxGuestBytes) {
      return absl::InvalidArgumentError(absl::StrCat("guest ", i, " image is ",
                                                     in.guests[i].image.size(), " bytes (1..",
                                                     kMaxGuestBytes, ")"));
    }
    if (absl::Status s = CheckString(in.guests[i].cmdline, kMaxGuestCmdline, "guest command line");
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s =
          CheckString(in.firmware_cmdline, kMaxFirmwareCmdline, "firmware command line");
      !s.ok()) {
    return s;
  }
  if (in.memory_bytes < kMinLaunchMemory || in.memory_bytes > kMaxLaunchMemory ||
      in.memory_bytes % (1 << 20) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory ", in.memory_bytes >> 20, " MiB is outside 16..3072 MiB"));
  }
  if (in.vcpus < 1 || in.vcpus > kMaxLaunchVcpus) {
    return absl::InvalidArgumentError(absl::StrCat("vCPU count ", in.vcpus, " is outside 1..8"));
  }
  if (in.reset_rom.size() != kResetRomSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("reset ROM is ", in.reset_rom.size(), " bytes (exactly ", kResetRomSize, ")"));
  }
  if (!in.secrets_page.empty() && in.secrets_page.size() != kPageSize) {
    return absl::InvalidArgumentError("secrets page must be exactly 4096 bytes");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LaunchMeasurement> WriteAndMeasureLaunch(const LaunchInputs& in,
                                                        LaunchMemory* memory) {
  if (absl::Status s = CheckInputs(in); !s.ok()) return s;
  absl::StatusOr<MultibootLoad> mb = ParseMultibootImage(in.firmware);
  if (!mb.ok()) return mb.status();
  if (mb->load_addr % kPageSize != 0) {
    return absl::InvalidArgumentError("firmware: multiboot load_addr is not page aligned");
  }

  // Place the guests after the paravisor's BSS, each page aligned.
  std::vector<std::pair<uint64_t, uint64_t>> guest_ranges;
  uint64_t next = AlignUp(mb->bss_end);
  for (const LaunchGuest& g : in.guests) {
    guest_ranges.push_back({next, next + g.image.size()});
    next = AlignUp(next + g.image.size());
  }
  if (next > in.memory_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("the paravisor and guest images end at 0x",
                                                   absl::Hex(next), ", beyond the partition's ",
                                                   in.memory_bytes >> 20, " MiB"));
  }

  // Boot information: hand-off block, multiboot info, module list, memory map, strings.
  std::vector<uint8_t> info(kBootInfoPages * kPageSize, 0);
  const uint64_t mbi = kBootInfoGpa + kMbiOff;
  Put32(&info[kHandoffOff], kHandoffMagic);
  Put32(&info[kHandoffOff + 4], mb->entry);
  Put32(&info[kHandoffOff + 8], mbi);
  std::memcpy(&info[kFwCmdlineOff], in.firmware_cmdline.data(), in.firmware_cmdline.size());
  const struct {
    uint64_t base, length;
    uint32_t type;
  } map[] = {
      {0, kLowRamEnd, kMmapAvailable},
      {0xF0000, 0x10000, kMmapReserved},
      {0x100000, in.memory_bytes - 0x100000, kMmapAvailable},
  };
  for (size_t i = 0; i < std::size(map); ++i) {
    uint8_t* e = &info[kMmapOff + i * 24];
    Put32(e, 20);  // size of the rest of the entry
    Put64(e + 4, map[i].base);
    Put64(e + 12, map[i].length);
    Put32(e + 20, map[i].type);
  }
  for (size_t i = 0; i < in.guests.size(); ++i) {
    const size_t str = kGuestCmdlineOff + i * kGuestCmdlineStride;
    std::memcpy(&info[str], in.guests[i].cmdline.data(), in.guests[i].cmdline.size());
    uint8_t* m = &info[kModsOff + i * 16];
    Put32(m, guest_ranges[i].first);
    Put32(m + 4, guest_ranges[i].second);
    Put32(m + 8, kBootInfoGpa + str);
  }
  uint8_t* raw = &info[kMbiOff];
  Put32(raw, kMbiFlagMem | kMbiFlagCmdline | kMbiFlagMods | kMbiFlagMmap);
  Put32(raw + 4, kLowRamEnd / 1024);
  Put32(raw + 8, (in.memory_bytes - 0x100000) / 1024);
  Put32(raw + 16, kBootInfoGpa + kFwCmdlineOff);
  Put32(raw + 20, in.guests.size());
  Put32(raw + 24, kBootInfoGpa + kModsOff);
  Put32(raw + 44, std::size(map) * 24);
  Put32(raw + 48, kBootInfoGpa + kMmapOff);

  MeasuringWriter w(memory);
  std::span<const uint8_t> fw(in.firmware.data() + mb->file_offset, mb->load_size);
  if (absl::Status s = w.Region("reset ROM", kResetRomGpa, in.reset_rom, 0); !s.ok()) return s;
  if (absl::Status s = w.Region("paravisor", mb->load_addr, fw, AlignUp(mb->bss_end)); !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < in.guests.size(); ++i) {
    if (absl::Status s = w.Region(absl::StrCat("guest ", i).c_str(), guest_ranges[i].first,
                                  in.guests[i].image, 0);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = w.Region("boot information", kBootInfoGpa, info, 0); !s.ok()) return s;
  // The CPUID page: an SNP CPUID table with no entries (the simulated platform validates none;
  // the paravisor uses the live CPUID instruction). SECRETS: the VMPCKs, not measured.
  std::array<uint8_t, kPageSize> page{};
  if (absl::Status s = w.Page(pv::attest_proto::kCpuidPageGpa, SnpPageType::kCpuid, page);
      !s.ok()) {
    return s;
  }
  w.Note("CPUID page", pv::attest_proto::kCpuidPageGpa, 1, SnpPageType::kCpuid);
  if (!in.secrets_page.empty()) std::memcpy(page.data(), in.secrets_page.data(), kPageSize);
  absl::Status secrets = w.Page(pv::attest_proto::kSecretsPageGpa, SnpPageType::kSecrets, page);
  std::fill(page.begin(), page.end(), 0);  // do not keep a VMPCK copy around
  if (!secrets.ok()) return secrets;
  w.Note("secrets page", pv::attest_proto::kSecretsPageGpa, 1, SnpPageType::kSecrets);
  const VmsaPage vmsa =
      EncodeVmsa(ResetVmsaState(0xFFFFFFF0, in.sev_features, kQemu64CpuSignature, VmmType::kQemu));
  for (uint32_t i = 0; i < in.vcpus; ++i) {
    if (absl::Status s = w.Page(kKvmVmsaGpa, SnpPageType::kVmsa, vmsa); !s.ok()) return s;
  }
  w.Note("VMSA (reset state, per vCPU)", kKvmVmsaGpa, in.vcpus, SnpPageType::kVmsa);
  return w.Result();
}

}  // namespace pv::attest::measure
