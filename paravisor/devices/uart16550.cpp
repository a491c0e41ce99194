#include "devices/uart16550.h"

namespace pv::devices {
namespace {

// Registers by offset (DLAB = LCR bit 7 maps the divisor latch over offsets 0 and 1).
constexpr u8 kRbrThr = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7;
constexpr u8 kLcrDlab = 0x80;
constexpr u8 kIerThre = 0x02;  // ETBEI: THR-empty interrupt enable
constexpr u8 kMcrOut2 = 0x08, kMcrLoopback = 0x10;
constexpr u8 kIirNoInterrupt = 0x01, kIirThrEmpty = 0x02, kIirFifosEnabled = 0xc0;
constexpr u8 kFcrEnable = 0x01;
constexpr u8 kLsrTransmitterEmpty = 0x60;  // THR empty + transmitter idle

}  // namespace

u8 Uart16550::Read(u8 offset) {
  const bool dlab = lcr_ & kLcrDlab;
  switch (offset & 7) {
    case kRbrThr:
      return dlab ? dll_ : 0;  // no received data
    case kIer:
      return dlab ? dlm_ : ier_;
    case kIirFcr: {
      const u8 fifo = (fcr_ & kFcrEnable) ? kIirFifosEnabled : 0;
      if ((ier_ & kIerThre) && thre_pending_) {
        thre_pending_ = false;  // reading IIR with THR empty as the source clears it
        return kIirThrEmpty | fifo;
      }
      return kIirNoInterrupt | fifo;
    }
    case kLcr:
      return lcr_;
    case kMcr:
      return mcr_;
    case kLsr:
      return kLsrTransmitterEmpty;
    case kMsr:
      // Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD (16550 data sheet); otherwise the
      // modem lines are idle.
      if (mcr_ & kMcrLoopback) {
        return static_cast<u8>(((mcr_ & 0x1) << 5) | ((mcr_ & 0x2) << 3) | ((mcr_ & 0x4) << 4) |
                               ((mcr_ & 0x8) << 4));
      }
      return 0;
    default:
      return scr_;
  }
}

bool Uart16550::Write(u8 offset, u8 value, u8* transmitted) {
  const bool dlab = lcr_ & kLcrDlab;
  switch (offset & 7) {
    case kRbrThr:
      if (dlab) {
        dll_ = value;
        return false;
      }
      *transmitted = value;
      thre_pending_ = true;  // sent at once: THR is empty again
      return true;
    case kIer:
      if (dlab) {
        dlm_ = value;
      } else {
        // Enabling the THR-empty interrupt while THR is empty raises it (16550 behaviour).
        if ((value & kIerThre) && !(ier_ & kIerThre)) thre_pending_ = true;
        ier_ = value & 0x0f;
      }
      return false;
    case kIirFcr:
      fcr_ = value;
      return false;
    case kLcr:
      lcr_ = value;
      return false;
    case kMcr:
      mcr_ = value & 0x1f;
      return false;
    case kScr:
      scr_ = value;
      return false;
    default:
      return false;  // LSR and MSR are read-only
  }
}

bool Uart16550::interrupt_line() const {
  // Loopback disconnects the outputs, the interrupt line included.
  return (mcr_ & (kMcrOut2 | kMcrLoopback)) == kMcrOut2 && (ier_ & kIerThre) && thre_pending_;
}

}  // namespace pv::devices
