// libFuzzer: the exiting-instruction decoder over arbitrary guest bytes.
#include <cstddef>
#include <cstdint>

#include "insn/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = pv::insn::Decode(data, size);
  if (r.ok() && (r.value().length == 0 || r.value().length > 15 || r.value().length > size)) {
    __builtin_trap();  // a decoded length must lie within what was available and legal
  }
  return 0;
}
