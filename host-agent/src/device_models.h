// Device models that serve the exits the paravisor forwards (ports / addresses it does not own).
//
//   ConsoleDevice  a write-only UART at COM2 (0x2F8..0x2FF): THR writes become console bytes,
//                  LSR reads say "transmitter empty"; used by guests whose console the
//                  paravisor does not capture itself.
//   TestDevice     16 bytes of registers, at IO port 0x700 and at MMIO 0xFEB00000:
//                    +0 scratch (read/write), +4 access counter (read-only),
//                    +8 magic 0x44545650 "PVTD" (read-only), +12 scratch + 1 (read-only)
#ifndef PV_HOST_AGENT_DEVICE_MODELS_H_
#define PV_HOST_AGENT_DEVICE_MODELS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pv::agent {

inline constexpr uint16_t kConsolePortBase = 0x2f8;
inline constexpr uint16_t kTestDevicePortBase = 0x700;
inline constexpr uint64_t kTestDeviceMmioBase = 0xfeb00000;
inline constexpr uint32_t kTestDeviceMagic = 0x44545650;

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;
  virtual uint64_t Read(uint64_t offset, uint8_t size) = 0;
  virtual void Write(uint64_t offset, uint8_t size, uint64_t value) = 0;
};

class ConsoleDevice : public Device {
 public:
  explicit ConsoleDevice(std::function<void(absl::string_view)> sink) : sink_(std::move(sink)) {}
  std::string name() const override { return "console"; }
  uint64_t Read(uint64_t offset, uint8_t size) override;
  void Write(uint64_t offset, uint8_t size, uint64_t value) override;

 private:
  std::function<void(absl::string_view)> sink_;
};

class TestDevice : public Device {
 public:
  std::string name() const override { return "test"; }
  uint64_t Read(uint64_t offset, uint8_t size) override;
  void Write(uint64_t offset, uint8_t size, uint64_t value) override;

 private:
  uint32_t scratch_ = 0;
  uint32_t accesses_ = 0;
};

// Routes accesses to the device whose window contains them (IO ports and MMIO separately).
class DeviceBus {
 public:
  void MapIo(uint16_t base, uint32_t length, std::shared_ptr<Device> device);
  void MapMmio(uint64_t base, uint64_t length, std::shared_ptr<Device> device);
  // The device and the offset inside its window, or nullptr when the access is unclaimed or
  // straddles a window's end.
  Device* FindIo(uint16_t port, uint8_t size, uint64_t* offset) const;
  Device* FindMmio(uint64_t address, uint8_t size, uint64_t* offset) const;

 private:
  struct Window {
    uint64_t base;
    uint64_t length;
    std::shared_ptr<Device> device;
  };
  static Device* Find(const std::vector<Window>& windows, uint64_t address, uint8_t size,
                      uint64_t* offset);
  std::vector<Window> io_;
  std::vector<Window> mmio_;
};

// The standard bus of a partition: console at COM2, test device at its port and address.
DeviceBus MakeStandardDeviceBus(std::function<void(absl::string_view)> console_sink);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_DEVICE_MODELS_H_
