#include "measured_launch.h"

#include "kbs_relay.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "attest/measure/launch_files.h"
#include "attest/measure/reset_rom.h"
#include "errno_status.h"
#include "image_policy.h"
#include "unique_fd.h"

namespace pv::agent {
namespace {

namespace m = pv::attest::measure;

// Puts RAM pages at their GPA in the RAM file and ROM pages into the ROM image; VMSA pages have
// no place on QEMU (they describe the reset state the vCPU gets anyway).
class FileLaunchMemory : public m::LaunchMemory {
 public:
  FileLaunchMemory(int ram_fd, uint64_t ram_bytes) : fd_(ram_fd), ram_bytes_(ram_bytes) {}

  absl::Status WritePage(uint64_t gpa, m::SnpPageType type, m::PageView page) override {
    if (type == m::SnpPageType::kVmsa) return absl::OkStatus();
    if (gpa >= m::kResetRomGpa && gpa < m::kResetRomGpa + m::kResetRomSize) {
      std::memcpy(rom_.data() + (gpa - m::kResetRomGpa), page.data(), page.size());
      return absl::OkStatus();
    }
    if (gpa + page.size() > ram_bytes_) {
      return absl::OutOfRangeError(
          absl::StrCat("launch page at GPA 0x", absl::Hex(gpa), " is outside the partition's RAM"));
    }
    const ssize_t n = ::pwrite(fd_, page.data(), page.size(), static_cast<off_t>(gpa));
    if (n != static_cast<ssize_t>(page.size())) return ErrnoStatus("write", "guest RAM file");
    return absl::OkStatus();
  }

  const std::vector<uint8_t>& rom() const { return rom_; }

 private:
  int fd_;
  uint64_t ram_bytes_;
  std::vector<uint8_t> rom_ = std::vector<uint8_t>(m::kResetRomSize, 0);
};

absl::Status WriteWhole(const std::string& path, const std::vector<uint8_t>& bytes) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus("create", path);
  if (::write(fd.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    return ErrnoStatus("write", path);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateMeasuredLaunchSpec(const pv::v1::PartitionSpec& spec) {
  if (spec.tee() == pv::v1::TEE_NONE) return absl::OkStatus();
  if (!spec.linux_kernel_path().empty()) {
    // The measured launch writes only the multiboot guest module; a Linux kernel would boot
    // unmeasured, so it is refused rather than silently left out.
    return absl::InvalidArgumentError(
        "spec.linux_kernel_path is not supported with spec.tee (the measured launch has no Linux "
        "modules yet)");
  }
  if (spec.platform() != pv::v1::PLATFORM_SVM_TCG &&
      spec.platform() != pv::v1::PLATFORM_KVM_NESTED) {
    return absl::InvalidArgumentError(
        "spec.tee needs platform svm-tcg or kvm-nested (the simulated secure processor runs "
        "beside an emulated partition)");
  }
  if (spec.memory_mib() > (m::kMaxLaunchMemory >> 20)) {
    return absl::InvalidArgumentError(absl::StrCat("spec.memory_mib ", spec.memory_mib(),
                                                   " is above 3072 for a measured launch"));
  }
  if (EffectiveFirmwareCmdline(spec).size() > m::kMaxFirmwareCmdline) {
    return absl::InvalidArgumentError("spec.firmware_cmdline is longer than 1024 bytes (tee)");
  }
  if (spec.guest_cmdline().size() > m::kMaxGuestCmdline) {
    return absl::InvalidArgumentError("spec.guest_cmdline is longer than 255 bytes (tee)");
  }
  if (spec.host_data().size() > 32) {
    return absl::InvalidArgumentError("spec.host_data is longer than 32 bytes");
  }
  if (spec.family_id().size() > 16 || spec.image_id().size() > 16) {
    return absl::InvalidArgumentError("spec.family_id / spec.image_id are longer than 16 bytes");
  }
  // POLICY bit 17 is reserved-must-be-one; bits 26..63 must be zero (SEV-SNP ABI).
  if (spec.snp_policy() != 0 &&
      ((spec.snp_policy() & (1ull << 17)) == 0 || (spec.snp_policy() >> 26) != 0)) {
    return absl::InvalidArgumentError(absl::StrCat("spec.snp_policy 0x",
                                                   absl::Hex(spec.snp_policy()),
                                                   " needs bit 17 set and bits 26-63 clear"));
  }
  return absl::OkStatus();
}

absl::StatusOr<MeasuredLaunch> WriteMeasuredLaunch(const pv::v1::PartitionSpec& spec,
                                                   const MeasuredLaunchImages& images,
                                                   const MeasuredLaunchPaths& paths,
                                                   std::span<const uint8_t> secrets_page,
                                                   int ram_uid, int ram_gid) {
  m::LaunchFiles files;
  files.firmware = images.firmware;
  files.firmware_cmdline = EffectiveFirmwareCmdline(spec);  // with kbs=<resources>: measured
  if (!images.guest.empty()) {
    files.guests.push_back(images.guest);
    files.guest_cmdlines.push_back(spec.guest_cmdline());
  }
  files.memory_mib = spec.memory_mib();
  files.vcpus = spec.vcpus();
  files.embedded_reset_rom = m::EmbeddedResetRom();
  absl::StatusOr<m::LaunchInputs> inputs = m::LoadLaunchInputs(files);
  if (!inputs.ok()) return inputs.status();
  inputs->secrets_page.assign(secrets_page.begin(), secrets_page.end());

  // A fresh, sparse file: every byte the launch does not write reads as zero.
  MeasuredLaunch launch;
  launch.ram = UniqueFd(::open(paths.ram.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!launch.ram.valid()) return ErrnoStatus("create", paths.ram);
  if ((ram_uid >= 0 || ram_gid >= 0) && ::fchown(launch.ram.get(), ram_uid, ram_gid) != 0) {
    return ErrnoStatus("give the QEMU user", paths.ram);
  }
  if (::ftruncate(launch.ram.get(), static_cast<off_t>(inputs->memory_bytes)) != 0) {
    return ErrnoStatus("size", paths.ram);
  }
  FileLaunchMemory memory(launch.ram.get(), inputs->memory_bytes);
  absl::StatusOr<m::LaunchMeasurement> measured = m::WriteAndMeasureLaunch(*inputs, &memory);
  std::fill(inputs->secrets_page.begin(), inputs->secrets_page.end(), 0);
  if (!measured.ok()) return measured.status();
  launch.measurement = *measured;
  if (absl::Status s = WriteWhole(paths.reset_rom, memory.rom()); !s.ok()) return s;
  absl::StatusOr<UniqueFd> rom = SealedMemfd("reset stub ROM", memory.rom());
  if (!rom.ok()) return rom.status();
  launch.reset_rom = *std::move(rom);
  return launch;
}

std::vector<std::string> MeasuredLaunchQemuArgs(const pv::v1::PartitionSpec& spec,
                                                const MeasuredLaunchFds& fds) {
  return {"-machine",
          "pc,memory-backend=pv-ram",
          "-object",
          absl::StrCat("memory-backend-file,id=pv-ram,size=", spec.memory_mib(),
                       "M,share=on,mem-path=/dev/fd/", fds.ram),
          "-bios",
          absl::StrCat("/dev/fd/", fds.reset_rom)};
}

}  // namespace pv::agent
