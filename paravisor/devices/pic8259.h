// The guest's legacy interrupt controller: a pair of 8259A PICs (master at 0x20/0x21, slave at
// 0xa0/0xa1 cascaded on the master's IRQ 2), emulated by the paravisor as a pure model (no
// hardware access). Linux guests get it because Debian's 8250 serial driver needs a working
// IRQ 4 for ttyS0; with `noapic` (there is no I/O APIC) Linux programs the local APIC's LINT0
// for ExtINT and takes these interrupts in virtual-wire mode. The run loop delivers
// PendingVector() through the guest's local APIC (apic/local_apic.h lint0_extint()).
//
// What is modelled (Intel 8259A data sheet): the ICW1..ICW4 initialisation sequence (vector
// base, cascade, auto-EOI), the interrupt mask (OCW1), specific and non-specific EOI (OCW2; the
// rotation and priority commands are accepted as their plain EOI or ignored), reading IRR/ISR
// (OCW3), fixed priority with fully nested mode, and edge-triggered requests. A request that is
// withdrawn before the CPU acknowledges it is dropped (the hardware would present a spurious
// IRQ 7). Not modelled: poll mode, special mask mode, level-triggered mode (ELCR), buffered mode.
// Every value written is guest input: nothing indexes memory with it.
#ifndef PV_DEVICES_PIC8259_H_
#define PV_DEVICES_PIC8259_H_

#include "lib/types.h"

namespace pv::devices {

class Pic8259Pair {
 public:
  static constexpr u16 kMasterCommand = 0x20, kMasterData = 0x21;
  static constexpr u16 kSlaveCommand = 0xa0, kSlaveData = 0xa1;
  static bool IsPort(u16 port) {
    return port == kMasterCommand || port == kMasterData || port == kSlaveCommand ||
           port == kSlaveData;
  }

  u8 Read(u16 port) const;
  void Write(u16 port, u8 value);

  // The level of interrupt line `irq` (0..15) changed: a rising edge requests an interrupt.
  void SetLine(u8 irq, bool level);

  // The vector the PICs would hand the CPU on an interrupt acknowledge now, or -1.
  int PendingVector() const;
  // The CPU's interrupt acknowledge: moves the request into service and returns its vector
  // (PendingVector()'s value), or -1 if nothing is pending.
  int Acknowledge();

 private:
  struct Chip {
    u8 irr = 0, isr = 0, imr = 0xff, lines = 0;
    u8 vector_base = 0;
    u8 init_step = 0;  // 0: initialised; 2..4: expecting ICW2..ICW4
    bool icw4_expected = false, single = false, auto_eoi = false, read_isr = false;

    void WriteCommand(u8 value);
    void WriteData(u8 value);
    int Highest() const;  // the IRQ (0..7) to present, or -1
    void Eoi(int irq);
  };
  Chip& ChipFor(u16 port) { return (port & 0x80) ? slave_ : master_; }
  const Chip& ChipFor(u16 port) const { return (port & 0x80) ? slave_ : master_; }
  void UpdateCascade();

  Chip master_, slave_;
};

}  // namespace pv::devices

#endif  // PV_DEVICES_PIC8259_H_
