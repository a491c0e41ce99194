// Compiled with the firmware's flags by the agent_protocol_headers_are_freestanding test: the
// protocol headers the paravisor includes must need nothing but <stdint.h>/<stddef.h>.
#include "fblite/exit_codec.h"
#include "fblite/fb_lite.h"
#include "ring/ring_layout.h"
#include "ring/spsc_ring.h"

namespace {

// Use the templates and inline functions so they are instantiated and checked, not only parsed.
[[maybe_unused]] uint32_t Exercise(pv::proxy::Ring* ring, uint8_t* buffer) {
  pv::proxy::RingProducer producer(ring, 0);
  pv::proxy::RingConsumer consumer(ring, 0);
  pv::proxy::MessageEncoder encoder(buffer, 256);
  const uint32_t n = encoder.IoAccess(1, 0, 0x700, 4, true, 7);
  bool doorbell = false;
  (void)producer.Push(buffer, n, &doorbell);
  uint32_t length = 0;
  (void)consumer.Pop(buffer, 256, &length);
  pv::proxy::DecodedMessage decoded;
  (void)pv::proxy::DecodeMessage(buffer, length, 256, &decoded);
  return decoded.port;
}

}  // namespace
