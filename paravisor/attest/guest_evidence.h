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

// The TD's TDX module, for a tee=tdx guest the paravisor serves as the L1 of TDX partitioning
// (ghci/tdcall_server.cpp; firmware: attestation_client.cpp): available under the tdx personality
// with a transport. The simulated platform's module is the sim-SP's TDX personality
// (kMsgSimTdReportReq, kMsgSimRtmrExtendReq over the guest-message channel); on hardware these are
// the paravisor's own TDCALLs.
bool TdxModuleAvailable();
// TDG.MR.REPORT: the TD's TDREPORT with `report_data` (checked to be the one in the answer).
Status TdReport(const u8 report_data[64], u8 tdreport[1024]);
// TDG.MR.RTMR.EXTEND: RTMR[index] = SHA-384(RTMR[index] || data). `value`: in, the caller's
// copy of the RTMR; out, the new value (the simulated module returns it; on hardware, which does
// not, the copy is extended the same way).
Status ExtendRtmr(u32 index, const u8 data[48], u8 value[48]);

// Called at every paravisor timer tick (exits/handle_timer.cpp): if the host agent asked for
// evidence (`pvctl attest`), produce it and send it back through the exit proxy
// (agent_evidence.cpp). Costs one shared-memory load otherwise. At most one request is served per
// call.
void PollAgentEvidence();

}  // namespace pv::attest

#endif  // PV_ATTEST_GUEST_EVIDENCE_H_
