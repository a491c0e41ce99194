#include "device_models.h"

namespace pv::agent {

namespace {
constexpr uint64_t kUartThr = 0;
constexpr uint64_t kUartLsr = 5;
constexpr uint64_t kUartLsrTransmitterEmpty = 0x60;

uint64_t Truncate(uint64_t value, uint8_t size) {
  return size >= 8 ? value : value & ((uint64_t{1} << (8 * size)) - 1);
}
}  // namespace

uint64_t ConsoleDevice::Read(uint64_t offset, uint8_t size) {
  return offset == kUartLsr ? kUartLsrTransmitterEmpty : 0;
}

void ConsoleDevice::Write(uint64_t offset, uint8_t size, uint64_t value) {
  if (offset != kUartThr) return;  // line control, divisor, ...: nothing to model
  const char byte = static_cast<char>(value & 0xff);
  sink_(absl::string_view(&byte, 1));
}

uint64_t TestDevice::Read(uint64_t offset, uint8_t size) {
  ++accesses_;
  uint64_t value = 0;
  switch (offset) {
    case 0:
      value = scratch_;
      break;
    case 4:
      value = accesses_;
      break;
    case 8:
      value = kTestDeviceMagic;
      break;
    case 12:
      value = static_cast<uint32_t>(scratch_ + 1);
      break;
    default:
      break;
  }
  return Truncate(value, size);
}

void TestDevice::Write(uint64_t offset, uint8_t size, uint64_t value) {
  ++accesses_;
  if (offset == 0) scratch_ = static_cast<uint32_t>(Truncate(value, size));
}

void DeviceBus::MapIo(uint16_t base, uint32_t length, std::shared_ptr<Device> device) {
  io_.push_back({base, length, std::move(device)});
}

void DeviceBus::MapMmio(uint64_t base, uint64_t length, std::shared_ptr<Device> device) {
  mmio_.push_back({base, length, std::move(device)});
}

Device* DeviceBus::Find(const std::vector<Window>& windows, uint64_t address, uint8_t size,
                        uint64_t* offset) {
  for (const Window& w : windows) {
    if (address >= w.base && address - w.base < w.length && size <= w.length - (address - w.base)) {
      *offset = address - w.base;
      return w.device.get();
    }
  }
  return nullptr;
}

Device* DeviceBus::FindIo(uint16_t port, uint8_t size, uint64_t* offset) const {
  return Find(io_, port, size, offset);
}

Device* DeviceBus::FindMmio(uint64_t address, uint8_t size, uint64_t* offset) const {
  return Find(mmio_, address, size, offset);
}

DeviceBus MakeStandardDeviceBus(std::function<void(absl::string_view)> console_sink) {
  DeviceBus bus;
  bus.MapIo(kConsolePortBase, 8, std::make_shared<ConsoleDevice>(std::move(console_sink)));
  auto test = std::make_shared<TestDevice>();
  bus.MapIo(kTestDevicePortBase, 16, test);
  bus.MapMmio(kTestDeviceMmioBase, 16, test);
  return bus;
}

}  // namespace pv::agent
