#include "guest/mp_table.h"

#include "lib/string.h"

namespace pv::mp_table {
namespace {

constexpr u8 kSpecRevision = 4;  // MP specification 1.4
constexpr u8 kEntryProcessor = 0, kEntryBus = 1;
constexpr u8 kCpuEnabled = 0x01, kCpuBootstrap = 0x02;
constexpr u8 kApicVersion = 0x14;  // apic::kVersion's low byte: an integrated APIC
constexpr usize kHeaderSize = 44, kProcessorSize = 20, kBusSize = 8;
constexpr usize kTableSize = kHeaderSize + kProcessorSize + kBusSize;

template <typename T>
void Put(u8* p, usize off, T v) {
  memcpy(p + off, &v, sizeof(v));
}

// Every MP structure sums to zero over its bytes.
u8 Checksum(const u8* p, usize n) {
  u8 sum = 0;
  for (usize i = 0; i < n; ++i) sum = static_cast<u8>(sum + p[i]);
  return static_cast<u8>(-sum);
}

}  // namespace

Status WriteMpTables(GuestMemory& memory) {
  u8 fp[16] = {};
  memcpy(fp, "_MP_", 4);
  Put<u32>(fp, 4, static_cast<u32>(kConfigTableGpa));
  fp[8] = 1;  // length in 16-byte units
  fp[9] = kSpecRevision;
  // feature1 = 0: the configuration table exists (no default configuration); feature2 bit 7
  // clear: no IMCR, the PIC is wired to LINT0 (virtual-wire mode).
  fp[10] = Checksum(fp, sizeof(fp));

  u8 t[kTableSize] = {};
  memcpy(t, "PCMP", 4);
  Put<u16>(t, 4, static_cast<u16>(kTableSize));
  t[6] = kSpecRevision;
  memcpy(t + 8, "PVCVM   ", 8);           // OEM ID
  memcpy(t + 16, "PARAVISOR   ", 12);     // product ID
  Put<u16>(t, 34, 2);                     // entry count
  Put<u32>(t, 36, static_cast<u32>(kLocalApicAddress));
  u8* cpu = t + kHeaderSize;
  cpu[0] = kEntryProcessor;
  cpu[1] = 0;  // local APIC ID
  cpu[2] = kApicVersion;
  cpu[3] = kCpuEnabled | kCpuBootstrap;
  u8* bus = cpu + kProcessorSize;
  bus[0] = kEntryBus;
  bus[1] = 0;
  memcpy(bus + 2, "ISA   ", 6);
  t[7] = Checksum(t, sizeof(t));

  PV_TRY(memory.WriteGpa(kFloatingPointerGpa, fp, sizeof(fp)));
  return memory.WriteGpa(kConfigTableGpa, t, sizeof(t));
}

}  // namespace pv::mp_table
