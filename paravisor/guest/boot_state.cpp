#include "guest/boot_state.h"

#include "arch/registers.h"
#include "guest/abi.h"
#include "lib/string.h"

namespace pv {
namespace {

using arch::kCr0Et;
using arch::kCr0Mp;
using arch::kCr0Ne;
using arch::kCr0Pe;
using arch::kCr0Pg;
using arch::kCr0Wp;
using arch::kCr4Osfxsr;
using arch::kCr4Osxmmexcpt;
using arch::kCr4Pae;
using arch::kEferLma;
using arch::kEferLme;
using arch::kEferNxe;
constexpr u64 kDefaultPat = 0x0007040600070406ull;  // the architectural reset value
constexpr u64 kPtePresentWrite = 0x3, kPteLarge = 0x80;
constexpr u32 kTssLimit = 0x67;
constexpr usize kGdtSlots = 8;  // 64 bytes: room for either protocol's layout

}  // namespace

Result<GuestEntryState> WriteLongModeBase(GuestMemory& memory, u16 code_selector, u16 data_selector,
                                          u16 tss_selector) {
  const u64 size = memory.size();
  if (size < abi::kMinGuestMemory || size > abi::kMaxGuestMemory ||
      !IsAligned(size, kLargePageSize)) {
    return Status(Err::kInvalidArgument,
                  "guest boot: memory must be a multiple of 2 MiB, 2 MiB..1 GiB");
  }
  const u16 slots[] = {code_selector, data_selector, tss_selector};
  for (u16 sel : slots) {
    if ((sel & 7) != 0 || sel == 0 || sel / 8 + 2 > kGdtSlots) {
      return Status(Err::kInvalidArgument, "guest boot: GDT selector out of range");
    }
  }

  // GDT: 64-bit code, data, then the 16-byte TSS descriptor (busy, as TR will hold it).
  u64 gdt[kGdtSlots] = {};
  gdt[code_selector / 8] = 0x00af9a000000ffffull;
  gdt[data_selector / 8] = 0x00cf92000000ffffull;
  gdt[tss_selector / 8] = kTssLimit | ((abi::kTssGpa & 0xffffff) << 16) | (0x8bull << 40) |
                          ((abi::kTssGpa & 0xff000000ull) << 32);
  gdt[tss_selector / 8 + 1] = abi::kTssGpa >> 32;
  const usize used = (tss_selector / 8 + 2) * sizeof(u64);
  PV_TRY(memory.WriteGpa(abi::kGdtGpa, gdt, used));
  u8 tss[kTssLimit + 1] = {};
  tss[0x66] = kTssLimit + 1;  // I/O map base beyond the limit: no I/O permission bitmap
  PV_TRY(memory.WriteGpa(abi::kTssGpa, tss, sizeof(tss)));

  // Identity map of guest RAM: PML4[0] -> PDPT[0] -> one PD of 2 MiB pages.
  const u64 pml4 = abi::kPageTablesGpa, pdpt = pml4 + kPageSize, pd = pdpt + kPageSize;
  u64 entry = pdpt | kPtePresentWrite;
  PV_TRY(memory.WriteGpa(pml4, &entry, 8));
  entry = pd | kPtePresentWrite;
  PV_TRY(memory.WriteGpa(pdpt, &entry, 8));
  for (u64 i = 0; i < size / kLargePageSize; ++i) {
    entry = (i * kLargePageSize) | kPtePresentWrite | kPteLarge;
    PV_TRY(memory.WriteGpa(pd + i * 8, &entry, 8));
  }

  GuestEntryState s;
  s.cr0 = kCr0Pe | kCr0Mp | kCr0Et | kCr0Ne | kCr0Wp | kCr0Pg;
  s.cr3 = pml4;
  s.cr4 = kCr4Pae | kCr4Osfxsr | kCr4Osxmmexcpt;
  s.efer = kEferLme | kEferLma | kEferNxe;
  s.pat = kDefaultPat;
  s.gdt_base = abi::kGdtGpa;
  s.gdt_limit = static_cast<u16>(used - 1);
  s.tss_base = abi::kTssGpa;
  s.tss_limit = kTssLimit;
  s.code_selector = code_selector;
  s.data_selector = data_selector;
  s.tss_selector = tss_selector;
  return s;
}

Result<GuestEntryState> WriteGuestBootState(GuestMemory& memory, const LoadedImage& image,
                                            const char* cmdline) {
  if (image.start < abi::kImageBase) {
    return Status(Err::kOutOfRange, "guest boot: image overlaps the boot structures below 1 MiB");
  }
  PV_TRY_ASSIGN(GuestEntryState s,
                WriteLongModeBase(memory, abi::kGuestCodeSelector, abi::kGuestDataSelector,
                                  abi::kGuestTssSelector));
  const u64 size = memory.size();

  // Command line (truncated to fit) and BootInfo.
  usize len = 0;
  while (cmdline[len] != '\0' && len < abi::kCmdlineMax - 1) ++len;
  PV_TRY(memory.WriteGpa(abi::kCmdlineGpa, cmdline, len));
  const u8 nul = 0;
  PV_TRY(memory.WriteGpa(abi::kCmdlineGpa + len, &nul, 1));
  abi::BootInfo info{abi::kBootInfoMagic,
                     abi::kBootInfoVersion,
                     size,
                     abi::kCmdlineGpa,
                     static_cast<u32>(len),
                     1,
                     image.start,
                     image.end};
  PV_TRY(memory.WriteGpa(abi::kBootInfoGpa, &info, sizeof(info)));

  s.rip = image.entry;
  s.rsp = size;  // first push lands in the last 8 bytes of RAM
  s.rdi = abi::kBootInfoGpa;
  return s;
}

}  // namespace pv
