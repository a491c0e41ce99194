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

// A fixed-width text field (signature, OEM and product IDs, bus type): no terminating NUL.
template <usize N>
void PutText(u8* p, const char (&text)[N]) {
  for (usize i = 0; i + 1 < N; ++i) p[i] = static_cast<u8>(text[i]);
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
  PutText(fp, "_MP_");
  Put<u32>(fp, 4, static_cast<u32>(kConfigTableGpa));
  fp[8] = 1;  // length in 16-byte units
  fp[9] = kSpecRevision;
  // feature1 = 0: the configuration table exists (no default configuration); feature2 bit 7
  // clear: no IMCR, the PIC is wired to LINT0 (virtual-wire mode).
  fp[10] = Checksum(fp, sizeof(fp));

  u8 t[kTableSize] = {};
  PutText(t, "PCMP");
  Put<u16>(t, 4, static_cast<u16>(kTableSize));
  t[6] = kSpecRevision;
  PutText(t + 8, "PVCVM   ");       // OEM ID
  PutText(t + 16, "PARAVISOR   ");  // product ID
  Put<u16>(t, 34, 2);               // entry count
  Put<u32>(t, 36, static_cast<u32>(kLocalApicAddress));
  u8* cpu = t + kHeaderSize;
  cpu[0] = kEntryProcessor;
  cpu[1] = 0;  // local APIC ID
  cpu[2] = kApicVersion;
  cpu[3] = kCpuEnabled | kCpuBootstrap;
  u8* bus = cpu + kProcessorSize;
  bus[0] = kEntryBus;
  bus[1] = 0;
  PutText(bus + 2, "ISA   ");
  t[7] = Checksum(t, sizeof(t));

  PV_TRY(memory.WriteGpa(kFloatingPointerGpa, fp, sizeof(fp)));
  return memory.WriteGpa(kConfigTableGpa, t, sizeof(t));
}

}  // namespace pv::mp_table
