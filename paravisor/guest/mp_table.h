// The Intel MultiProcessor Specification 1.4 tables a Linux guest finds its local APIC through
// (there is no ACPI): a floating pointer in the last KiB of base memory and a configuration
// table with one processor (APIC ID 0, the bootstrap processor) and an ISA bus, no I/O APIC.
// Without them Linux runs in "virtual wire, no configuration" mode and never starts its local
// APIC timer. Both lie in the E820-reserved hole below 1 MiB (linux_boot.h), so Linux keeps
// them and never hands that memory out.
#ifndef PV_GUEST_MP_TABLE_H_
#define PV_GUEST_MP_TABLE_H_

#include "guest/guest_memory.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::mp_table {

constexpr u64 kFloatingPointerGpa = 0x9fc00;  // 639 KiB: where Linux scans the last KiB
constexpr u64 kConfigTableGpa = kFloatingPointerGpa + 16;
constexpr u64 kLocalApicAddress = 0xfee00000;

// Writes both tables (checksummed). Fails only if the guest's RAM does not reach them.
Status WriteMpTables(GuestMemory& memory);

}  // namespace pv::mp_table

#endif  // PV_GUEST_MP_TABLE_H_
