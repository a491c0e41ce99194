// The paravisor's exit-proxy client: forwards the exits it does not handle itself (IO ports and
// MMIO it does not own) and its guest console to the untrusted host agent, as flatbuffers
// messages over the shared-memory rings of protocol/ring (one request and one response ring per
// vCPU in the ivshmem BAR2), ringing the agent through the ivshmem doorbell register.
//
// Trust: everything in shared memory is host-controlled. The header is copied out once and
// validated before use; each response is copied out of its slot once and then verified by the
// freestanding decoder (protocol/fblite) with size limits; the ring indices are checked on
// every access. A response that does not verify, carries another id, or never comes is treated
// as a refusal (IO reads return all ones), never as data.
//
// This file's logic is portable (no hardware access but the doorbell write through the pointer
// it is given), so host unit tests can drive it over plain memory; ivshmem_pci.cpp finds the
// device and fills in the Transport on real (emulated) hardware.
#ifndef PV_PROXY_EXIT_PROXY_H_
#define PV_PROXY_EXIT_PROXY_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::proxy_client {

struct Transport {
  u8* shared = nullptr;  // the shared memory (ivshmem BAR2), identity-mapped
  u64 shared_size = 0;
  volatile u32* doorbell = nullptr;  // ivshmem BAR0 doorbell register; nullptr = never ring
  u64 timeout_cycles = 0;            // TSC cycles to wait for a response
};

struct ClientStats {
  u64 requests = 0;       // requests sent (IO, MMIO, version)
  u64 notifications = 0;  // console / stop / statistics sent
  u64 errors = 0;         // Error responses received
  u64 timeouts = 0;       // requests the agent did not answer in time
  u64 rejected = 0;       // responses that failed verification or carried another id
  u64 doorbells = 0;      // doorbells rung (not suppressed by the agent's polling flag)
  u64 dropped = 0;        // notifications dropped because the ring was full
};

// Validates the shared header the agent wrote and negotiates the protocol version on vCPU 0's
// channel. On failure the client stays detached and every Forward* refuses.
Status Attach(const Transport& transport);
bool Attached();
void Detach();  // marks the paravisor as stopped in the header

// Forwarded accesses: the agent's answer, or a failure (not attached, no device, timeout,
// malformed response) that the caller turns into the usual refusal.
Result<u32> ForwardIo(u16 port, u8 size, bool write, u32 value);
Result<u64> ForwardMmio(u64 gpa, u8 size, bool write, u64 value);

// Notifications (no response expected).
void SendConsole(const char* data, usize len);
void SendGuestStopped(u8 reason, u32 code);
void SendStatistics(u64 total, u64 proxied, const u32* reasons, const u64* counts, u32 n);

// Keeps a copy of the vCPU's exit counters (indexed by pv::ExitReason) as of the last console
// line or proxied exit, and sends it every 4096 exits; SendLastStatistics() reports that copy
// (also at the end of the run).
void NoteExitStats(u64 total, const u64* by_reason, u32 count);
void SendLastStatistics();

// Attestation traffic (ring_layout.h bulk areas): writes `request` into this vCPU's bulk
// request area, sends AttestationRequest{kind, offset, length}, and copies the agent's answer
// out of its bulk response area once into `response` (at most `capacity` bytes); returns the
// length. Fails when the agent offers no bulk areas or no attestation service (Unsupported),
// answers with anything but an AttestationResponse of the same kind, or names bytes outside
// its own response area. Waits up to kAttestationTimeoutFactor times the IO timeout.
inline constexpr u64 kAttestationTimeoutFactor = 10;
bool BulkAvailable();
Result<u32> ForwardAttestation(u8 kind, const u8* request, u32 length, u8* response,
                               u32 capacity);

// Agent-initiated evidence: true (once per agent request) when the agent bumped its
// evidence_request word since the last call; `report_data` gets the 64 bytes it asked for,
// copied once. One load of the shared word when nothing is pending.
bool TakeAgentEvidenceRequest(u32* sequence, u8 report_data[64]);
// Answers it: the evidence (or, with status < 0, only the error) as an AgentEvidence message.
Status SendAgentEvidence(u32 sequence, i32 status, const u8* evidence, u32 length);

// Writes deliberately malformed messages into the request ring and checks that the agent
// answers each with an Error (never silence), then checks that a valid request still works.
// For the agent's robustness tests (paravisor command line `proxy-selftest=malformed`).
Status RunMalformedSelfTest();

const ClientStats& Stats();

}  // namespace pv::proxy_client

#endif  // PV_PROXY_EXIT_PROXY_H_
