#include "attest/measure/launch_files.h"

#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"

namespace pv::attest::measure {

absl::StatusOr<LaunchInputs> LoadLaunchInputs(const LaunchFiles& files) {
  LaunchInputs in;
  absl::StatusOr<Bytes> fw = ReadFileBytes(files.firmware, kMaxFirmwareBytes);
  if (!fw.ok()) return fw.status();
  in.firmware = *std::move(fw);
  in.firmware_cmdline = files.firmware_cmdline;
  if (files.guest_cmdlines.size() > files.guests.size()) {
    return absl::InvalidArgumentError("more guest command lines than guests");
  }
  for (size_t i = 0; i < files.guests.size(); ++i) {
    absl::StatusOr<Bytes> g = ReadFileBytes(files.guests[i], kMaxGuestBytes);
    if (!g.ok()) return g.status();
    in.guests.push_back(
        {*std::move(g), i < files.guest_cmdlines.size() ? files.guest_cmdlines[i] : ""});
  }
  if (files.reset_rom.empty()) {
    std::span<const uint8_t> rom = files.embedded_reset_rom;
    if (rom.empty()) return absl::InvalidArgumentError("no reset ROM given and none built in");
    in.reset_rom.assign(rom.begin(), rom.end());
  } else {
    absl::StatusOr<Bytes> rom = ReadFileBytes(files.reset_rom, kResetRomSize);
    if (!rom.ok()) return rom.status();
    in.reset_rom = *std::move(rom);
  }
  if (files.memory_mib > (kMaxLaunchMemory >> 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory ", files.memory_mib, " MiB is outside 16..3072 MiB"));
  }
  in.memory_bytes = files.memory_mib << 20;
  in.vcpus = files.vcpus;
  return in;
}

std::string HexDigest(const Sha384& d) {
  return HexEncode(d);
}

}  // namespace pv::attest::measure
