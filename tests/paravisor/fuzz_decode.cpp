// libFuzzer: the exiting-instruction decoder and the MMIO move decoder over arbitrary guest
// bytes.
#include <cstddef>
#include <cstdint>

#include "insn/decode.h"
#include "insn/mmio_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = pv::insn::Decode(data, size);
  if (r.ok() && (r.value().length == 0 || r.value().length > 15 || r.value().length > size)) {
    __builtin_trap();  // a decoded length must lie within what was available and legal
  }
  auto m = pv::insn::DecodeMmio(data, size);
  if (m.ok() && (m.value().length == 0 || m.value().length > 15 || m.value().length > size ||
                 m.value().reg > 15 ||
                 (m.value().size != 1 && m.value().size != 2 && m.value().size != 4 &&
                  m.value().size != 8))) {
    __builtin_trap();
  }
  return 0;
}
