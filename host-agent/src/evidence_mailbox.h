// Agent-initiated evidence (`pvctl attest`): the agent asks the running paravisor for fresh
// evidence with a REPORT_DATA of its choosing, and waits for the answer.
//
// Request: REPORT_DATA into vCPU 0's AgentEvidenceControl (ring_layout.h), then the
// evidence_request word bumped (release). The paravisor polls that word at every tick of its
// timer, produces the evidence through its attestation client and sends it back as an
// AgentEvidence message, which the exit handler delivers here. One request at a time per
// partition (a second one is refused while the first is in flight); a paravisor that stopped never
// answers, so every wait has a deadline. Post and Await are separate so a caller can write the
// request while it holds whatever keeps the shared memory mapped, and wait without it.
#ifndef PV_HOST_AGENT_EVIDENCE_MAILBOX_H_
#define PV_HOST_AGENT_EVIDENCE_MAILBOX_H_

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace pv::agent {

class EvidenceMailbox {
 public:
  // `control` is the partition's vCPU-0 AgentEvidenceControl in shared memory (opaque here to
  // keep the ring layout out of this header); nullptr makes every Fetch fail.
  explicit EvidenceMailbox(void* control) : control_(control) {}

  // Asks for evidence with `report_data` (exactly 64 bytes): writes the request into shared
  // memory and returns its sequence number. Fails while another request is in flight.
  absl::StatusOr<uint32_t> Post(std::span<const uint8_t> report_data);
  // Waits up to `timeout` for the answer to `sequence` (Post's result); ends the request.
  absl::StatusOr<std::vector<uint8_t>> Await(uint32_t sequence, std::chrono::milliseconds timeout);
  // Post + Await.
  absl::StatusOr<std::vector<uint8_t>> Fetch(std::span<const uint8_t> report_data,
                                             std::chrono::milliseconds timeout);

  // From the exit handler: the paravisor's answer to request `sequence` (status < 0: its
  // errno-style failure, no evidence). Answers to requests nobody waits for are dropped.
  void Deliver(uint32_t sequence, int32_t status, std::vector<uint8_t> evidence);

 private:
  void* control_;
  absl::Mutex mu_;
  uint32_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t waiting_for_ ABSL_GUARDED_BY(mu_) = 0;  // 0 = nobody waits
  bool answered_ ABSL_GUARDED_BY(mu_) = false;
  int32_t status_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<uint8_t> evidence_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_EVIDENCE_MAILBOX_H_
