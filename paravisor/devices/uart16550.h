// COM1 as a 16550A UART, emulated by the paravisor as a pure model (no hardware access): enough
// of the chip for polling firmware, Linux's 8250 probe (scratch, IER, loopback MSR, FIFO bits)
// and its interrupt-driven transmit path. The transmitter is infinitely fast: a byte written to
// THR leaves at once (the caller sends it to the log and the exit proxy), so LSR always reports
// THR empty and the transmitter idle, and the THR-empty interrupt is raised again after every
// write. There is no receiver (no input: LSR.DR stays 0, RBR reads 0) and no modem-status or
// line-status interrupt. The interrupt output reaches the PIC only while MCR.OUT2 is set, as on
// a PC's serial port. Register values are guest input: each keeps only its defined bits.
#ifndef PV_DEVICES_UART16550_H_
#define PV_DEVICES_UART16550_H_

#include "lib/types.h"

namespace pv::devices {

class Uart16550 {
 public:
  static constexpr u16 kCom1Base = 0x3f8;
  static constexpr u8 kCom1Irq = 4;

  // Register access by offset 0..7 from the base. A write of THR returns true with the byte
  // in *transmitted.
  u8 Read(u8 offset);
  bool Write(u8 offset, u8 value, u8* transmitted);

  // The IRQ output (for the PIC): THR-empty interrupt enabled and pending, gated by OUT2.
  bool interrupt_line() const;

 private:
  u8 ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, fcr_ = 0;
  u8 dll_ = 0x0c, dlm_ = 0;    // 9600 baud, a typical firmware default
  bool thre_pending_ = false;  // the THR-empty interrupt is pending (cleared by an IIR read)
};

}  // namespace pv::devices

#endif  // PV_DEVICES_UART16550_H_
