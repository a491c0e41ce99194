// The seam between the exit handlers (portable, host-tested) and the attestation client
// (firmware: mbedTLS, transports). The firmware implements GuestEvidence in
// attestation_client.cpp; host unit tests link their own.
#ifndef PV_ATTEST_GUEST_EVIDENCE_H_
#define PV_ATTEST_GUEST_EVIDENCE_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::attest {

// Fresh evidence bound to `report_data` into `out` (at most `cap` bytes); its length.
// kUnsupported when this partition cannot attest (no secrets page, VMPCK wiped).
Result<usize> GuestEvidence(const u8 report_data[64], u8* out, usize cap);

// Called at every paravisor timer tick (exits/handle_timer.cpp): if the host agent asked for evidence (`pvctl attest`), produce it and
// send it back through the exit proxy (agent_evidence.cpp). Costs one shared-memory load
// otherwise. At most one request is served per call.
void PollAgentEvidence();

}  // namespace pv::attest

#endif  // PV_ATTEST_GUEST_EVIDENCE_H_
