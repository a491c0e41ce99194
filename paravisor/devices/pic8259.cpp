#include "devices/pic8259.h"

namespace pv::devices {
namespace {

constexpr u8 kIcw1 = 0x10, kIcw1NeedIcw4 = 0x01, kIcw1Single = 0x02;
constexpr u8 kOcw3 = 0x08, kOcw3ReadRegister = 0x02, kOcw3ReadIsr = 0x01;
constexpr u8 kIcw4AutoEoi = 0x02;
constexpr u8 kCascadeIrq = 2;

int LowestBit(u8 bits) {
  return bits == 0 ? -1 : __builtin_ctz(bits);
}

}  // namespace

void Pic8259Pair::Chip::WriteCommand(u8 value) {
  if (value & kIcw1) {
    // ICW1 starts initialisation: mask, requests and in-service state are cleared.
    irr = isr = imr = 0;
    init_step = 2;
    icw4_expected = value & kIcw1NeedIcw4;
    single = value & kIcw1Single;
    auto_eoi = read_isr = false;
    return;
  }
  if (value & kOcw3) {
    if (value & kOcw3ReadRegister) read_isr = value & kOcw3ReadIsr;
    return;
  }
  // OCW2: bits 7:5 select the command. 001/101 non-specific EOI (with or without rotation),
  // 011/111 specific EOI of IRQ bits 2:0; set-priority and automatic-rotation modes are ignored.
  const u8 command = value >> 5;
  if (command == 1 || command == 5) Eoi(-1);
  if (command == 3 || command == 7) Eoi(value & 7);
}

void Pic8259Pair::Chip::WriteData(u8 value) {
  switch (init_step) {
    case 2:
      vector_base = value & 0xf8;
      init_step = single ? (icw4_expected ? 4 : 0) : 3;
      return;
    case 3:  // ICW3: the cascade wiring, fixed here (slave on IRQ 2)
      init_step = icw4_expected ? 4 : 0;
      return;
    case 4:
      auto_eoi = value & kIcw4AutoEoi;
      init_step = 0;
      return;
    default:
      imr = value;  // OCW1
      return;
  }
}

int Pic8259Pair::Chip::Highest() const {
  if (init_step != 0) return -1;
  const int request = LowestBit(irr & ~imr);
  if (request < 0) return -1;
  const int in_service = LowestBit(isr);
  // Fully nested mode: only a request of higher priority (lower number) than everything in
  // service is presented.
  return in_service >= 0 && in_service <= request ? -1 : request;
}

void Pic8259Pair::Chip::Eoi(int irq) {
  if (irq < 0) irq = LowestBit(isr);  // non-specific: the highest-priority one in service
  if (irq >= 0) isr &= static_cast<u8>(~(1u << irq));
}

u8 Pic8259Pair::Read(u16 port) const {
  const Chip& chip = ChipFor(port);
  if (port & 1) return chip.imr;
  return chip.read_isr ? chip.isr : chip.irr;
}

void Pic8259Pair::Write(u16 port, u8 value) {
  Chip& chip = ChipFor(port);
  if (port & 1) {
    chip.WriteData(value);
  } else {
    chip.WriteCommand(value);
  }
  UpdateCascade();
}

void Pic8259Pair::SetLine(u8 irq, bool level) {
  if (irq >= 16) return;
  Chip& chip = irq >= 8 ? slave_ : master_;
  const u8 bit = static_cast<u8>(1u << (irq & 7));
  const bool was = chip.lines & bit;
  if (level) {
    chip.lines |= bit;
    if (!was) chip.irr |= bit;
  } else {
    chip.lines &= static_cast<u8>(~bit);
    chip.irr &= static_cast<u8>(~bit);  // withdrawn before the acknowledge: dropped
  }
  UpdateCascade();
}

// The slave's output drives the master's IRQ 2 line.
void Pic8259Pair::UpdateCascade() {
  const u8 bit = 1u << kCascadeIrq;
  if (slave_.Highest() >= 0) {
    master_.lines |= bit;
    master_.irr |= bit;
  } else {
    master_.lines &= static_cast<u8>(~bit);
    master_.irr &= static_cast<u8>(~bit);
  }
}

int Pic8259Pair::PendingVector() const {
  const int irq = master_.Highest();
  if (irq < 0) return -1;
  if (irq == kCascadeIrq) {
    const int slave_irq = slave_.Highest();
    return slave_irq < 0 ? -1 : slave_.vector_base + slave_irq;
  }
  return master_.vector_base + irq;
}

int Pic8259Pair::Acknowledge() {
  const int irq = master_.Highest();
  if (irq < 0) return -1;
  const u8 bit = static_cast<u8>(1u << irq);
  master_.irr &= static_cast<u8>(~bit);
  if (!master_.auto_eoi) master_.isr |= bit;
  if (irq != kCascadeIrq) return master_.vector_base + irq;
  const int slave_irq = slave_.Highest();
  if (slave_irq < 0) return -1;
  const u8 slave_bit = static_cast<u8>(1u << slave_irq);
  slave_.irr &= static_cast<u8>(~slave_bit);
  if (!slave_.auto_eoi) slave_.isr |= slave_bit;
  UpdateCascade();
  return slave_.vector_base + slave_irq;
}

}  // namespace pv::devices
