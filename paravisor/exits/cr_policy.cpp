#include "exits/cr_policy.h"

#include "arch/registers.h"

namespace pv {

using arch::kCr0Cd;
using arch::kCr0Nw;
using arch::kCr0Pe;
using arch::kCr0Pg;
using arch::kCr4La57;
using arch::kCr4Pae;
using arch::kCr4Pcide;
using arch::kCr4Smxe;
using arch::kCr4Vmxe;
using arch::kEferLma;
using arch::kEferLme;

bool Cr0WriteAllowed(const CrContext& ctx, u64 value) {
  if ((value >> 32) != 0) return false;
  if ((value & kCr0Nw) && !(value & kCr0Cd)) return false;
  if ((value & kCr0Pg) && !(value & kCr0Pe)) return false;
  if ((ctx.efer & kEferLma) && !(value & kCr0Pg)) return false;
  if ((value & kCr0Pg) && !(ctx.cr0 & kCr0Pg) && (ctx.efer & kEferLme) && !(ctx.cr4 & kCr4Pae))
    return false;
  return true;
}

bool Cr4WriteAllowed(const CrContext& ctx, u64 value) {
  if ((value & ~ctx.cr4_supported) != 0) return false;
  if (value & (kCr4Vmxe | kCr4Smxe)) return false;
  const bool long_mode = ctx.efer & kEferLma;
  if (long_mode && !(value & kCr4Pae)) return false;
  if (long_mode && ((value ^ ctx.cr4) & kCr4La57)) return false;
  if ((value & kCr4Pcide) && !(ctx.cr4 & kCr4Pcide) && (!long_mode || (ctx.cr3 & 0xfff) != 0))
    return false;
  return true;
}

}  // namespace pv
