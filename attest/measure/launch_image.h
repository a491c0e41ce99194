// The project's own measured launch: every page placed in a partition's memory before its
// first instruction, in order, each with its GPA and SNP page type. ONE function builds the
// pages and, for each, first hands it to the writer (the host agent's memory file) and then
// measures it -- SNP launch digest and TDX MRTD together -- the way SNP_LAUNCH_UPDATE and
// TDH.MEM.PAGE.ADD/TDH.MR.EXTEND measure what they place. `pvattest measure` runs the same
// function without a writer, so the digest it prints is the one the agent's launch produced.
//
// Layout (guest-physical):
//   0xFFFF0000..4 GiB   reset ROM (the project's NASM reset stub, paravisor/reset), NORMAL
//   multiboot load      paravisor bytes NORMAL, its BSS ZERO (from the image's multiboot header)
//   after the BSS       each guest image page aligned, NORMAL
//   0x8C000 (2 pages)   boot information, NORMAL: the reset stub's hand-off block (below), the
//                       multiboot information structure, command lines, module list, memory map
//   0x8E000             CPUID page, type CPUID (kCpuidPageGpa)
//   0x8F000             secrets page, type SECRETS (kSecretsPageGpa; VMPCKs not measured)
//   per vCPU            VMSA, type VMSA at 0xFFFFFFFFF000: the reset state QEMU gives the vCPU
//                       (real mode at 0xFFFFFFF0); TDX has no VMSA, its reset state is fixed.
// In the TDX MRTD, NORMAL pages are PAGE.ADD + MR.EXTEND, ZERO/SECRETS/CPUID pages PAGE.ADD only.
#ifndef PV_ATTEST_MEASURE_LAUNCH_IMAGE_H_
#define PV_ATTEST_MEASURE_LAUNCH_IMAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/measure/snp_launch_digest.h"

namespace pv::attest::measure {

inline constexpr uint64_t kBootInfoGpa = 0x8C000;
inline constexpr size_t kBootInfoPages = 2;
inline constexpr uint64_t kResetRomSize = 0x10000;  // QEMU maps a 64 KiB -bios below 4 GiB
inline constexpr uint64_t kResetRomGpa = (uint64_t{1} << 32) - kResetRomSize;

// Hand-off block at kBootInfoGpa, read by the reset stub (paravisor/reset/reset_stub.asm):
//   +0 u32 magic "PVRS", +4 u32 multiboot entry, +8 u32 multiboot info address, +12 u32 0.
inline constexpr uint32_t kHandoffMagic = 0x53525650;  // "PVRS" little-endian

inline constexpr size_t kMaxFirmwareBytes = size_t{16} << 20;
inline constexpr size_t kMaxGuestBytes = size_t{64} << 20;
inline constexpr size_t kMaxGuests = 8;
inline constexpr size_t kMaxFirmwareCmdline = 1024;
inline constexpr size_t kMaxGuestCmdline = 255;
inline constexpr uint64_t kMinLaunchMemory = uint64_t{16} << 20;
inline constexpr uint64_t kMaxLaunchMemory = uint64_t{3072} << 20;  // all RAM below the PCI hole
inline constexpr uint32_t kMaxLaunchVcpus = 8;

// CPUID(1).EAX QEMU reports for -cpu qemu64 (family 15, model 107, stepping 1): RDX at reset.
inline constexpr uint32_t kQemu64CpuSignature = 0x00060FB1;

struct LaunchGuest {
  std::vector<uint8_t> image;
  std::string cmdline;
};

struct LaunchInputs {
  std::vector<uint8_t> firmware;  // the paravisor (multiboot ELF, a.out kludge)
  std::string firmware_cmdline;
  std::vector<LaunchGuest> guests;
  uint64_t memory_bytes = 0;
  uint32_t vcpus = 1;
  std::vector<uint8_t> reset_rom;  // exactly kResetRomSize bytes
  uint64_t sev_features = 1;       // VMSA SEV_FEATURES: SNP active
  // Contents of the secrets page (VMPCKs from the simulated secure processor) written into
  // memory; SECRETS pages are not measured, so a measurement alone leaves it empty.
  std::vector<uint8_t> secrets_page;
};

struct LaunchRegion {
  std::string name;
  uint64_t gpa = 0;
  uint64_t pages = 0;
  SnpPageType type = SnpPageType::kNormal;
};

struct LaunchMeasurement {
  Sha384 snp_launch_digest{};
  Sha384 tdx_mrtd{};
  uint64_t pages = 0;
  std::vector<LaunchRegion> regions;
};

// Receives each page right before it is measured. VMSA pages are given too (the agent has no
// place to put them on QEMU: the vCPU's reset state is what they describe).
class LaunchMemory {
 public:
  virtual ~LaunchMemory() = default;
  virtual absl::Status WritePage(uint64_t gpa, SnpPageType type, PageView page) = 0;
};

// Validates the inputs, then writes (if `memory` is not null) and measures every page.
absl::StatusOr<LaunchMeasurement> WriteAndMeasureLaunch(const LaunchInputs& in,
                                                        LaunchMemory* memory);

}  // namespace pv::attest::measure

#endif  // PV_ATTEST_MEASURE_LAUNCH_IMAGE_H_
