// libFuzzer target: the launch-measurement parsers of user-named files on hostile bytes -- the
// paravisor image's multiboot header (and the whole measured launch built from it) and the
// OVMF footer table / SEV metadata.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "attest/measure/launch_image.h"
#include "attest/measure/multiboot_image.h"
#include "attest/measure/ovmf_image.h"

namespace m = pv::attest::measure;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  if (m::ParseMultibootImage(bytes).ok()) {
    m::LaunchInputs in;
    in.firmware.assign(data, data + size);
    in.memory_bytes = m::kMinLaunchMemory;
    in.reset_rom.assign(m::kResetRomSize, 0);
    in.guests.push_back({std::vector<uint8_t>(data, data + std::min<size_t>(size, 8192)), "x=1"});
    (void)m::WriteAndMeasureLaunch(in, nullptr);
  }
  // OVMF images are whole pages; the interesting bytes are at the end (footer table).
  std::vector<uint8_t> image((size + 4095) / 4096 * 4096, 0);
  std::copy(data, data + size, image.end() - static_cast<long>(size));
  auto ovmf = m::OvmfImage::Parse(std::move(image));
  if (ovmf.ok()) {
    (void)ovmf->SevEsResetEip();
    (void)ovmf->SevHashesTableGpa();
  }
  return 0;
}
