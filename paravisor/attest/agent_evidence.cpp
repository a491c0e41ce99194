// Agent-initiated evidence (see guest_evidence.h and host-agent/src/evidence_mailbox.h).
#include "attest/guest_evidence.h"
#include "lib/log.h"
#include "proxy/exit_proxy.h"

namespace pv::attest {
namespace {

// Errno-style codes the agent reports (the guest ABI's values: one vocabulary).
constexpr i32 kErrNotSupported = -95;
constexpr i32 kErrIo = -5;

u8 g_evidence[32768 - 24];

}  // namespace

void PollAgentEvidence() {
  u32 sequence = 0;
  u8 report_data[64];
  if (!proxy_client::TakeAgentEvidenceRequest(&sequence, report_data)) return;
  const Result<usize> got = GuestEvidence(report_data, g_evidence, sizeof(g_evidence));
  // Logged before the answer goes out, so the log is complete when the agent's caller returns.
  Status sent;
  if (got.ok()) {
    Log("attest: evidence for the host agent (request %u): %lu bytes", sequence, got.value());
    sent = proxy_client::SendAgentEvidence(sequence, 0, g_evidence, static_cast<u32>(got.value()));
  } else {
    Log("attest: host agent request %u: no evidence: %s", sequence, got.status().message());
    const i32 err = got.status().code() == Err::kUnsupported ? kErrNotSupported : kErrIo;
    sent = proxy_client::SendAgentEvidence(sequence, err, nullptr, 0);
  }
  if (!sent.ok()) Log("attest: could not answer the host agent: %s", sent.message());
}

}  // namespace pv::attest
