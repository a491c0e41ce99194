// Agent-side handling of one exit-proxy message: verify (official flatbuffers Verifier with
// size, depth and table-count limits) the private copy taken from the ring, dispatch it to the
// device models or the partition's sinks, and build the response. Pure logic, no transport:
// the ring server calls it, and so does the fuzz target.
#ifndef PV_HOST_AGENT_EXIT_HANDLER_H_
#define PV_HOST_AGENT_EXIT_HANDLER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "attestation_backend.h"
#include "device_models.h"
#include "evidence_mailbox.h"
#include "kbs_relay_channel.h"

namespace pv::agent {

// Where the non-device messages go (implemented by the partition).
class ExitSink {
 public:
  virtual ~ExitSink() = default;
  virtual void OnConsole(absl::string_view bytes) = 0;
  virtual void OnGuestStopped(uint32_t reason, uint32_t code) = 0;
  virtual void OnStatistics(uint64_t total, uint64_t proxied,
                            const std::vector<std::pair<uint32_t, uint64_t>>& counters) = 0;
  // A message was rejected; `detail` names the vCPU ring and the problem.
  virtual void OnProxyError(const std::string& detail) = 0;
};

// Where attestation traffic goes (exit_handler_attestation.cpp). `shared` is the partition's
// exit-proxy shared memory (for the bulk areas); `backend` the secure processor (nullptr: the
// agent offers no attestation service and answers Unsupported); `mailbox` receives evidence the
// agent asked the paravisor for (nullptr: AgentEvidence is refused).
struct AttestationRoute {
  uint8_t* shared = nullptr;
  uint64_t shared_size = 0;
  AttestationBackend* backend = nullptr;
  EvidenceMailbox* mailbox = nullptr;
  KbsRelayChannel* kbs = nullptr;  // the partition's key-broker relay (kbs_relay.h); nullptr: none
};

struct ExitHandlerCounters {
  uint64_t round_trips = 0;    // requests answered with a result
  uint64_t notifications = 0;  // console / stop / statistics accepted
  uint64_t errors = 0;         // messages answered with an Error
};

class ExitHandler {
 public:
  ExitHandler(DeviceBus* bus, ExitSink* sink) : bus_(bus), sink_(sink) {}

  // Handles one message received on `ring_vcpu`'s request ring. Returns the response to push
  // on that vCPU's response ring; empty when none is due (accepted notifications).
  std::vector<uint8_t> Handle(const uint8_t* data, uint32_t length, uint32_t ring_vcpu);

  const ExitHandlerCounters& counters() const { return counters_; }
  bool negotiated() const { return negotiated_; }
  // A re-attaching agent takes over a channel the paravisor already negotiated.
  void set_negotiated(bool negotiated) { negotiated_ = negotiated; }
  void set_attestation(const AttestationRoute& route) { attestation_ = route; }

 private:
  std::vector<uint8_t> Reject(uint64_t id, uint32_t vcpu, uint16_t code, const std::string& why);
  std::vector<uint8_t> HandleAttestation(uint64_t id, uint32_t vcpu, const void* request);

  DeviceBus* bus_;
  ExitSink* sink_;
  ExitHandlerCounters counters_;
  bool negotiated_ = false;
  AttestationRoute attestation_;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_EXIT_HANDLER_H_
