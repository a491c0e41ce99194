// The firmware's log sink: COM1 (QEMU -serial) and, when the Bochs port-0xE9 hack is present,
// port 0xE9 as well. The UART is driven by polling; the paravisor never takes interrupts.
#include "arch/cpu.h"
#include "lib/log.h"

namespace pv {
namespace {

using arch::Inb;
using arch::Outb;

constexpr u16 kCom1 = 0x3f8;
constexpr u16 kBochsE9 = 0xe9;
bool g_initialized = false;
bool g_have_e9 = false;

void Init() {
  Outb(kCom1 + 1, 0x00);  // no interrupts
  Outb(kCom1 + 3, 0x80);  // DLAB on to set the divisor
  Outb(kCom1 + 0, 0x01);  // 115200 baud
  Outb(kCom1 + 1, 0x00);
  Outb(kCom1 + 3, 0x03);  // 8N1, DLAB off
  Outb(kCom1 + 2, 0xc7);  // FIFO on, cleared
  // Bochs answers 0xE9 on a read of its debug port; QEMU (no debugcon) answers 0xFF.
  g_have_e9 = Inb(kBochsE9) == kBochsE9;
  g_initialized = true;
}

void PutChar(char c) {
  // Wait (bounded) for the transmit holding register to empty; an absent UART reads 0xFF.
  for (int spin = 0; spin < 100000 && (Inb(kCom1 + 5) & 0x20) == 0; ++spin) {
  }
  Outb(kCom1, static_cast<u8>(c));
  if (g_have_e9) Outb(kBochsE9, static_cast<u8>(c));
}

}  // namespace

void LogSinkWrite(const char* data, usize len) {
  if (!g_initialized) Init();
  for (usize i = 0; i < len; ++i) PutChar(data[i]);
}

}  // namespace pv
