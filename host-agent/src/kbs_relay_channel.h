// The seam between the exit handler (which gets KbsRelay frames from the paravisor) and the
// HTTP relay to the partition's key broker (kbs_relay.h): an interface, so the exit-message
// code (and its fuzz target) need no HTTP client.
#ifndef PV_HOST_AGENT_KBS_RELAY_CHANNEL_H_
#define PV_HOST_AGENT_KBS_RELAY_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace pv::agent {

// What the exit handler calls (an interface so the exit-message code needs no HTTP client).
class KbsRelayChannel {
 public:
  virtual ~KbsRelayChannel() = default;
  // One frame from the paravisor's bulk area (already copied out of shared memory); returns
  // the framed answer for its bulk response area (at most `max_answer` bytes).
  virtual absl::StatusOr<std::vector<uint8_t>> Exchange(std::span<const uint8_t> frame,
                                                        size_t max_answer) = 0;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_KBS_RELAY_CHANNEL_H_
