// Architectural register numbers and bits (MSR indices, EFER, CR0, CR4, RFLAGS): plain
// constants with no instructions attached, so that code built for the host unit tests (exit
// handlers, guest setup) names them exactly as the firmware does.
#ifndef PV_ARCH_REGISTERS_H_
#define PV_ARCH_REGISTERS_H_

#include "lib/types.h"

namespace pv::arch {

// MSR indices.
constexpr u32 kMsrTsc = 0x10;
constexpr u32 kMsrApicBase = 0x1b;
constexpr u32 kMsrSpecCtrl = 0x48;
constexpr u32 kMsrPat = 0x277;
constexpr u32 kMsrEfer = 0xc0000080;
constexpr u32 kMsrStar = 0xc0000081;
constexpr u32 kMsrLstar = 0xc0000082;
constexpr u32 kMsrCstar = 0xc0000083;
constexpr u32 kMsrSfmask = 0xc0000084;
constexpr u32 kMsrFsBase = 0xc0000100;
constexpr u32 kMsrGsBase = 0xc0000101;
constexpr u32 kMsrKernelGsBase = 0xc0000102;
constexpr u32 kMsrTscAux = 0xc0000103;
constexpr u32 kMsrSysenterCs = 0x174;
constexpr u32 kMsrSysenterEsp = 0x175;
constexpr u32 kMsrSysenterEip = 0x176;

constexpr u64 kEferSce = 1ull << 0;
constexpr u64 kEferLme = 1ull << 8;
constexpr u64 kEferLma = 1ull << 10;
constexpr u64 kEferNxe = 1ull << 11;
constexpr u64 kEferSvme = 1ull << 12;

constexpr u64 kRflagsIf = 1ull << 9;

constexpr u64 kCr0Pe = 1ull << 0;
constexpr u64 kCr0Mp = 1ull << 1;
constexpr u64 kCr0Et = 1ull << 4;
constexpr u64 kCr0Ne = 1ull << 5;
constexpr u64 kCr0Ts = 1ull << 3;
constexpr u64 kCr0Wp = 1ull << 16;
constexpr u64 kCr0Am = 1ull << 18;
constexpr u64 kCr0Nw = 1ull << 29;
constexpr u64 kCr0Cd = 1ull << 30;
constexpr u64 kCr0Pg = 1ull << 31;

constexpr u64 kCr4Pae = 1ull << 5;
constexpr u64 kCr4Osfxsr = 1ull << 9;
constexpr u64 kCr4Osxmmexcpt = 1ull << 10;
constexpr u64 kCr4La57 = 1ull << 12;
constexpr u64 kCr4Vmxe = 1ull << 13;
constexpr u64 kCr4Smxe = 1ull << 14;
constexpr u64 kCr4Pcide = 1ull << 17;
constexpr u64 kCr4Osxsave = 1ull << 18;

// XCR0 state components (SDM vol. 1, 13.3).
constexpr u64 kXcr0X87 = 1ull << 0;
constexpr u64 kXcr0Sse = 1ull << 1;
constexpr u64 kXcr0Avx = 1ull << 2;
constexpr u64 kXcr0BndRegs = 1ull << 3;
constexpr u64 kXcr0BndCsr = 1ull << 4;
constexpr u64 kXcr0Avx512 = 7ull << 5;  // opmask, ZMM_Hi256, Hi16_ZMM: all or none
constexpr u64 kXcr0TileCfg = 1ull << 17;
constexpr u64 kXcr0TileData = 1ull << 18;
// What every guest starts with (x87 and SSE: the state FXSAVE covers).
constexpr u64 kXcr0GuestInitial = kXcr0X87 | kXcr0Sse;

}  // namespace pv::arch

#endif  // PV_ARCH_REGISTERS_H_
