#include "proxy/ivshmem_pci.h"

#include "../../protocol/fblite/exit_codec.h"
#include "../../protocol/ring/ring_layout.h"
#include "arch/cpu.h"
#include "arch/tsc.h"
#include "lib/log.h"
#include "mm/paging.h"

namespace pv::proxy_client {
namespace {

constexpr u16 kConfigAddress = 0xcf8;
constexpr u16 kConfigData = 0xcfc;
constexpr u8 kRegVendorDevice = 0x00;
constexpr u8 kRegCommand = 0x04;
constexpr u8 kRegBar0 = 0x10;
constexpr u16 kCommandMemory = 1u << 1;
constexpr u32 kBarIo = 1u << 0;
constexpr u32 kBarType64 = 2u << 1;
constexpr u32 kBarTypeMask = 3u << 1;
// How long the paravisor waits for the agent to answer one request. Generous: the agent is a
// normal host process and the host may be busy; the guest's vCPU is stalled meanwhile anyway.
constexpr u64 kResponseTimeoutMs = 2000;

u32 ConfigAddress(u8 bus, u8 dev, u8 fn, u8 reg) {
  return (1u << 31) | (static_cast<u32>(bus) << 16) | (static_cast<u32>(dev) << 11) |
         (static_cast<u32>(fn) << 8) | (reg & 0xfc);
}
u32 ConfigRead(u8 bus, u8 dev, u8 fn, u8 reg) {
  arch::Outl(kConfigAddress, ConfigAddress(bus, dev, fn, reg));
  return arch::Inl(kConfigData);
}
void ConfigWrite(u8 bus, u8 dev, u8 fn, u8 reg, u32 value) {
  arch::Outl(kConfigAddress, ConfigAddress(bus, dev, fn, reg));
  arch::Outl(kConfigData, value);
}

struct Bar {
  u64 base = 0;
  u64 size = 0;
};

// Where unassigned BARs go (see ReadMemoryBar): 0xC0000000..0xFEC00000.
constexpr u64 kAssignWindowBase = 0xC0000000;
constexpr u64 kAssignWindowSize = 0xFEC00000 - kAssignWindowBase;
u64 g_next_bar = kAssignWindowBase;

// Reads a memory BAR's address and size (size by the usual all-ones probe, restored after),
// assigning an address first if the BAR has none.
Result<Bar> ReadMemoryBar(u8 dev, u8 index) {
  const u8 reg = static_cast<u8>(kRegBar0 + 4 * index);
  const u32 low = ConfigRead(0, dev, 0, reg);
  if (low & kBarIo) return Status(Err::kUnsupported, "ivshmem: BAR is an IO BAR");
  const bool is64 = (low & kBarTypeMask) == kBarType64;
  const u32 high = is64 ? ConfigRead(0, dev, 0, static_cast<u8>(reg + 4)) : 0;
  ConfigWrite(0, dev, 0, reg, 0xffffffffu);
  const u32 size_low = ConfigRead(0, dev, 0, reg);
  ConfigWrite(0, dev, 0, reg, low);
  u32 size_high = 0xffffffffu;
  if (is64) {
    ConfigWrite(0, dev, 0, static_cast<u8>(reg + 4), 0xffffffffu);
    size_high = ConfigRead(0, dev, 0, static_cast<u8>(reg + 4));
    ConfigWrite(0, dev, 0, static_cast<u8>(reg + 4), high);
  }
  const u64 mask = (static_cast<u64>(size_high) << 32) | (size_low & ~0xfu);
  Bar bar;
  bar.base = (static_cast<u64>(high) << 32) | (low & ~0xfu);
  bar.size = ~mask + 1;
  if (bar.size == 0 || bar.size > kAssignWindowSize) {
    return Status(Err::kOutOfRange, "ivshmem: BAR size is 0 or larger than the window");
  }
  if (bar.base == 0) {
    // No BIOS ran (the measured launch starts at the project's reset stub): assign the BAR
    // ourselves, naturally aligned, from a window above the partition's RAM (at most 3 GiB)
    // and below the IOAPIC. Nothing else on bus 0 that the paravisor uses has a memory BAR.
    u64 base = (g_next_bar + bar.size - 1) & ~(bar.size - 1);
    if (base + bar.size > kAssignWindowBase + kAssignWindowSize) {
      return Status(Err::kOutOfRange, "ivshmem: no room left in the BAR window");
    }
    ConfigWrite(0, dev, 0, reg, static_cast<u32>(base) | (low & 0xfu));
    if (is64) ConfigWrite(0, dev, 0, static_cast<u8>(reg + 4), static_cast<u32>(base >> 32));
    g_next_bar = base + bar.size;
    bar.base = base;
  }
  return bar;
}

}  // namespace

Result<Transport> FindIvshmemTransport() {
  for (u8 dev = 0; dev < 32; ++dev) {
    const u32 id = ConfigRead(0, dev, 0, kRegVendorDevice);
    if (id != ((proxy::kIvshmemDeviceId << 16) | proxy::kIvshmemVendorId)) continue;
    PV_TRY_ASSIGN(const Bar regs, ReadMemoryBar(dev, 0));
    PV_TRY_ASSIGN(const Bar shm, ReadMemoryBar(dev, 2));
    if (regs.size < 16) return Status(Err::kInvalidArgument, "ivshmem: BAR0 too small");
    if (shm.size < proxy::kSharedSize) return Status(Err::kOutOfRange, "ivshmem: BAR2 too small");
    const u32 command = ConfigRead(0, dev, 0, kRegCommand);
    ConfigWrite(0, dev, 0, kRegCommand, (command & 0xffff) | kCommandMemory);
    // Below 4 GiB the boot identity map covers both BARs already; above, map them.
    if (regs.base + regs.size > (4ull << 30)) {
      PV_TRY(mm::MapIdentity(regs.base, regs.size, mm::Caching::kUncached));
    }
    if (shm.base + shm.size > (4ull << 30)) {
      PV_TRY(mm::MapIdentity(shm.base, shm.size, mm::Caching::kWriteBack));
    }
    Log("exit proxy: ivshmem at 00:%02x.0, registers 0x%lx, shared memory 0x%lx (%lu KiB)", dev,
        regs.base, shm.base, shm.size >> 10);
    Transport t;
    t.shared = reinterpret_cast<u8*>(shm.base);
    t.shared_size = shm.size;
    t.doorbell = reinterpret_cast<volatile u32*>(regs.base + proxy::kIvshmemRegDoorbell);
    t.timeout_cycles = arch::TscHz() / 1000 * kResponseTimeoutMs;
    return t;
  }
  return Status(Err::kNotFound, "no ivshmem device");
}

Status InitExitProxy(const Cmdline& cmdline) {
  StrView mode;
  if (cmdline.Get("proxy", &mode) && mode.Equals("off")) {
    Log("exit proxy: disabled on the command line");
    return Status::Ok();
  }
  const Result<Transport> transport = FindIvshmemTransport();
  if (!transport.ok()) {
    Log("exit proxy: %s; running without a host agent", transport.status().message());
    return Status::Ok();
  }
  const Status attached = Attach(transport.value());
  if (!attached.ok()) {
    Log("exit proxy: not attached: %s", attached.message());
    return Status::Ok();
  }
  Log("exit proxy: attached, protocol version %u", proxy::kProtocolVersion);
  StrView selftest;
  if (cmdline.Get("proxy-selftest", &selftest) && selftest.Equals("malformed")) {
    return RunMalformedSelfTest();
  }
  return Status::Ok();
}

}  // namespace pv::proxy_client
