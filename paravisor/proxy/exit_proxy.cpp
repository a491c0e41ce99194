#include "proxy/exit_proxy.h"

#include "../../protocol/fblite/exit_codec.h"
#include "../../protocol/ring/spsc_ring.h"
#include "arch/cpu.h"
#include "lib/log.h"

namespace pv::proxy_client {
namespace {

using ::pv::proxy::DecodedMessage;
using ::pv::proxy::DecodeStatus;
using ::pv::proxy::MessageEncoder;
using ::pv::proxy::MessageType;
using ::pv::proxy::RingStatus;

// A request that timed out makes the next ones wait only this fraction of the full timeout
// until the agent answers again, so a dead agent slows a chatty guest down only briefly.
constexpr u64 kDegradedTimeoutDivisor = 64;
constexpr u32 kConsoleChunk = 384;   // console bytes per message (fits a slot with headroom)
constexpr u32 kMaxExitReasons = 24;  // statistics: at most this many counters (fits one slot)

constexpr u64 kStatisticsEvery = 4096;  // exits between two Statistics messages

struct ExitStatsCopy {
  u64 total = 0;
  u64 last_sent_total = 0;
  u64 by_reason[kMaxExitReasons] = {};
  u32 count = 0;
};
ExitStatsCopy g_exit_stats;

struct ClientState {
  bool attached = false;
  Transport transport;
  u32 agent_peer = 0;
  u32 agent_vector = 0;
  proxy::RingProducer requests;
  proxy::RingConsumer responses;
  u64 next_id = 1;
  bool degraded = false;
  bool bulk = false;            // the agent advertised the bulk areas
  u32 agent_evidence_seen = 0;  // last agent evidence_request value acted on
  ClientStats stats;
};

ClientState g_client;

// Message buffers live here, not on the exit path's stack.
alignas(8) u8 g_request[proxy::kMaxMessageSize];
alignas(8) u8 g_response[proxy::kMaxMessageSize];

inline void CpuPause() {
  asm volatile("pause" ::: "memory");
}

proxy::SharedHeader* Header() {
  return reinterpret_cast<proxy::SharedHeader*>(g_client.transport.shared);
}

void SetParavisorState(proxy::PeerState state) {
  __atomic_store_n(&Header()->paravisor_state.value, static_cast<u32>(state), __ATOMIC_RELEASE);
}

void RingDoorbell() {
  if (g_client.transport.doorbell == nullptr) return;
  *g_client.transport.doorbell =
      proxy::IvshmemDoorbellValue(g_client.agent_peer, g_client.agent_vector);
  ++g_client.stats.doorbells;
  __atomic_fetch_add(&Header()->paravisor_doorbells.value, 1u, __ATOMIC_RELAXED);
}

u64 Timeout() {
  const u64 full = g_client.transport.timeout_cycles;
  return g_client.degraded ? full / kDegradedTimeoutDivisor : full;
}

// Publishes one message, waiting (bounded) for a free slot; rings the agent if it sleeps.
Status Publish(const u8* message, u32 length, u32 claimed_length) {
  const u64 deadline = arch::Rdtsc() + Timeout();
  while (true) {
    bool doorbell = false;
    const RingStatus st =
        g_client.requests.PushClaimingLength(message, length, claimed_length, &doorbell);
    if (st == RingStatus::kOk) {
      if (doorbell) RingDoorbell();
      return Status::Ok();
    }
    if (st != RingStatus::kFull) return Status(Err::kHardware, "exit proxy: request ring corrupt");
    if (arch::Rdtsc() > deadline) return Status(Err::kHardware, "exit proxy: request ring full");
    CpuPause();
  }
}

// Waits for the response to `id` (or, with accept_id_zero, to a request the agent could not
// parse, which it answers with id 0). Responses that fail verification or answer another
// request are counted and skipped. The decoded message's byte pointers point into g_response.
Result<DecodedMessage> AwaitResponse(u64 id, bool accept_id_zero, u64 timeout_factor = 1) {
  const u64 deadline = arch::Rdtsc() + Timeout() * timeout_factor;
  while (true) {
    u32 length = 0;
    const RingStatus st = g_client.responses.Pop(g_response, sizeof(g_response), &length);
    if (st == RingStatus::kEmpty) {
      if (arch::Rdtsc() > deadline) {
        ++g_client.stats.timeouts;
        if (!g_client.degraded) Log("exit proxy: no response from the agent to request %lu", id);
        g_client.degraded = true;
        return Status(Err::kHardware, "exit proxy: agent did not answer");
      }
      CpuPause();
      continue;
    }
    if (st == RingStatus::kCorruptIndex)
      return Status(Err::kHardware, "exit proxy: response ring corrupt");
    DecodedMessage msg;
    if (st != RingStatus::kOk ||
        proxy::DecodeMessage(g_response, length, sizeof(g_response), &msg) != DecodeStatus::kOk) {
      ++g_client.stats.rejected;
      continue;
    }
    if (msg.id != id && !(accept_id_zero && msg.id == 0)) {
      ++g_client.stats.rejected;  // a late answer to a request that timed out
      continue;
    }
    g_client.degraded = false;
    if (msg.type == static_cast<u8>(MessageType::kError)) ++g_client.stats.errors;
    return msg;
  }
}

// Sends a request built by `encode(encoder, id)` and returns the verified response.
template <typename Encode>
Result<DecodedMessage> RoundTrip(Encode encode, u64 timeout_factor = 1) {
  const u64 id = g_client.next_id++;
  MessageEncoder encoder(g_request, sizeof(g_request));
  const u32 length = encode(encoder, id);
  if (length == 0) return Status(Err::kInvalidArgument, "exit proxy: request does not fit a slot");
  ++g_client.stats.requests;
  PV_TRY(Publish(g_request, length, length));
  return AwaitResponse(id, false, timeout_factor);
}

Status ValidateHeader(const proxy::SharedHeader& h, u64 shared_size) {
  if (h.magic != proxy::kSharedMagic)
    return Status(Err::kNotFound, "exit proxy: no agent header (bad magic)");
  if (h.layout_version != proxy::kLayoutVersion || h.header_size != proxy::kHeaderSize) {
    return Status(Err::kUnsupported, "exit proxy: unsupported shared layout version");
  }
  if (h.slot_size != proxy::kSlotSize || h.slot_count != proxy::kSlotCount ||
      h.channel_offset != proxy::kChannelOffset || h.channel_stride != sizeof(proxy::VcpuChannel)) {
    return Status(Err::kInvalidArgument, "exit proxy: ring geometry differs from this build");
  }
  if (h.vcpu_count == 0 || h.vcpu_count > proxy::kMaxVcpus) {
    return Status(Err::kInvalidArgument, "exit proxy: vcpu_count out of range");
  }
  if (h.total_size != proxy::kSharedSize || shared_size < proxy::kSharedSize) {
    return Status(Err::kOutOfRange, "exit proxy: shared memory smaller than the layout");
  }
  if (h.agent_peer_id > 0xffff || h.agent_vector > 0xffff) {
    return Status(Err::kInvalidArgument, "exit proxy: doorbell peer/vector out of range");
  }
  return Status::Ok();
}

}  // namespace

Status Attach(const Transport& transport) {
  g_client = ClientState{};
  if (transport.shared == nullptr)
    return Status(Err::kInvalidArgument, "exit proxy: no shared memory");
  // Copy the header out once; everything below uses the private copy.
  proxy::SharedHeader header;
  proxy::ring_detail::CopyFromShared(&header, transport.shared, sizeof(header));
  PV_TRY(ValidateHeader(header, transport.shared_size));
  g_client.transport = transport;
  g_client.agent_peer = header.agent_peer_id;
  g_client.agent_vector = header.agent_vector;
  g_client.bulk =
      header.bulk_offset == proxy::kBulkOffset && header.bulk_stride == sizeof(proxy::VcpuBulk);
  auto* channel = reinterpret_cast<proxy::VcpuChannel*>(transport.shared + proxy::kChannelOffset);
  g_client.requests = proxy::RingProducer(&channel->request, 0);
  g_client.responses = proxy::RingConsumer(&channel->response, 0);
  // The paravisor waits for responses by polling (it runs without interrupts), so the agent
  // never needs to ring it.
  g_client.responses.SetPolling(true);
  SetParavisorState(proxy::PeerState::kReady);

  const Result<DecodedMessage> reply = RoundTrip([](MessageEncoder& e, u64 id) {
    return e.VersionRequest(id, 0, proxy::kProtocolVersion, proxy::kProtocolVersion, 1);
  });
  if (!reply.ok()) return reply.status();
  if (reply.value().type != static_cast<u8>(MessageType::kVersionResponse) ||
      reply.value().version != proxy::kProtocolVersion) {
    return Status(Err::kUnsupported, "exit proxy: agent refused protocol version 1");
  }
  g_client.attached = true;
  return Status::Ok();
}

bool Attached() {
  return g_client.attached;
}

void Detach() {
  if (!g_client.attached) return;
  SetParavisorState(proxy::PeerState::kStopped);
  g_client.attached = false;
}

Result<u32> ForwardIo(u16 port, u8 size, bool write, u32 value) {
  if (!g_client.attached) return Status(Err::kNotFound, "exit proxy: not attached");
  const Result<DecodedMessage> reply = RoundTrip(
      [&](MessageEncoder& e, u64 id) { return e.IoAccess(id, 0, port, size, write, value); });
  if (!reply.ok()) return reply.status();
  if (reply.value().type != static_cast<u8>(MessageType::kIoResult)) {
    return Status(Err::kNotFound, "exit proxy: agent has no device there");
  }
  return static_cast<u32>(reply.value().value);
}

Result<u64> ForwardMmio(u64 gpa, u8 size, bool write, u64 value) {
  if (!g_client.attached) return Status(Err::kNotFound, "exit proxy: not attached");
  const Result<DecodedMessage> reply = RoundTrip(
      [&](MessageEncoder& e, u64 id) { return e.MmioAccess(id, 0, gpa, size, write, value); });
  if (!reply.ok()) return reply.status();
  if (reply.value().type != static_cast<u8>(MessageType::kMmioResult)) {
    return Status(Err::kNotFound, "exit proxy: agent has no device there");
  }
  return reply.value().value;
}

void SendConsole(const char* data, usize len) {
  if (!g_client.attached) return;
  while (len > 0) {
    const u32 chunk = len > kConsoleChunk ? kConsoleChunk : static_cast<u32>(len);
    MessageEncoder encoder(g_request, sizeof(g_request));
    const u32 n = encoder.ConsoleOutput(g_client.next_id++, 0, data, chunk);
    ++g_client.stats.notifications;
    if (n == 0 || !Publish(g_request, n, n).ok()) {
      ++g_client.stats.dropped;
      return;
    }
    data += chunk;
    len -= chunk;
  }
}

void SendGuestStopped(u8 reason, u32 code) {
  if (!g_client.attached) return;
  MessageEncoder encoder(g_request, sizeof(g_request));
  const u32 n =
      encoder.GuestStopped(g_client.next_id++, 0, static_cast<proxy::StopReason>(reason), code);
  ++g_client.stats.notifications;
  if (n == 0 || !Publish(g_request, n, n).ok()) ++g_client.stats.dropped;
}

void SendStatistics(u64 total, u64 proxied, const u32* reasons, const u64* counts, u32 count) {
  if (!g_client.attached) return;
  MessageEncoder encoder(g_request, sizeof(g_request));
  const u32 n = encoder.Statistics(g_client.next_id++, 0, total, proxied, reasons, counts, count);
  ++g_client.stats.notifications;
  if (n == 0 || !Publish(g_request, n, n).ok()) ++g_client.stats.dropped;
}

void NoteExitStats(u64 total, const u64* by_reason, u32 count) {
  if (!g_client.attached) return;
  g_exit_stats.total = total;
  g_exit_stats.count = count < kMaxExitReasons ? count : kMaxExitReasons;
  for (u32 i = 0; i < g_exit_stats.count; ++i) g_exit_stats.by_reason[i] = by_reason[i];
  // Keep the agent's view of a long-running guest current, at a small fraction of the traffic.
  if (total - g_exit_stats.last_sent_total >= kStatisticsEvery) SendLastStatistics();
}

void SendLastStatistics() {
  if (!g_client.attached) return;
  u32 reasons[kMaxExitReasons];
  u64 counts[kMaxExitReasons];
  u32 n = 0;
  for (u32 i = 0; i < g_exit_stats.count; ++i) {
    if (g_exit_stats.by_reason[i] == 0) continue;
    reasons[n] = i;
    counts[n] = g_exit_stats.by_reason[i];
    ++n;
  }
  // Proxied exits: the IO requests this client forwarded (the version request excluded).
  const u64 proxied = g_client.stats.requests > 0 ? g_client.stats.requests - 1 : 0;
  g_exit_stats.last_sent_total = g_exit_stats.total;
  SendStatistics(g_exit_stats.total, proxied, reasons, counts, n);
}

bool BulkAvailable() {
  return g_client.attached && g_client.bulk;
}

Result<u32> ForwardAttestation(u8 kind, const u8* request, u32 length, u8* response, u32 capacity) {
  if (!BulkAvailable()) {
    return Status(Err::kUnsupported, "exit proxy: the agent offers no attestation bulk area");
  }
  if (length > proxy::kBulkRequestSize) {
    return Status(Err::kOutOfRange, "exit proxy: attestation request larger than the bulk area");
  }
  const u64 request_at = proxy::BulkRequestOffset(0);
  // Written before the message is published (the ring's release store orders it).
  proxy::ring_detail::CopyToShared(g_client.transport.shared + request_at, request, length);
  proxy::AttestationBulk bulk;
  bulk.kind = static_cast<proxy::AttestationKind>(kind);
  bulk.bulk_offset = static_cast<u32>(request_at);
  bulk.bulk_length = length;
  const Result<DecodedMessage> reply =
      RoundTrip([&](MessageEncoder& e, u64 id) { return e.AttestationBulkRequest(id, 0, bulk); },
                kAttestationTimeoutFactor);
  if (!reply.ok()) return reply.status();
  const DecodedMessage& m = reply.value();
  if (m.type == static_cast<u8>(MessageType::kError)) {
    return m.error_code == static_cast<u16>(proxy::ErrorCode::kUnsupported)
               ? Status(Err::kUnsupported, "exit proxy: agent has no attestation service")
               : Status(Err::kHardware, "exit proxy: agent refused the attestation request");
  }
  if (m.type != static_cast<u8>(MessageType::kAttestationResponse) || m.attestation_kind != kind) {
    ++g_client.stats.rejected;
    return Status(Err::kInvalidArgument, "exit proxy: attestation answered with another type");
  }
  if (!proxy::BulkRangeInside(m.bulk_offset, m.bulk_length, proxy::BulkResponseOffset(0),
                              proxy::kBulkResponseSize)) {
    ++g_client.stats.rejected;
    return Status(Err::kOutOfRange, "exit proxy: attestation response outside its bulk area");
  }
  if (m.bulk_length > capacity) {
    return Status(Err::kOutOfRange, "exit proxy: attestation response larger than the buffer");
  }
  // The one copy out of shared memory; only the copy is parsed.
  proxy::ring_detail::CopyFromShared(response, g_client.transport.shared + m.bulk_offset,
                                     m.bulk_length);
  return m.bulk_length;
}

bool TakeAgentEvidenceRequest(u32* sequence, u8 report_data[64]) {
  if (!BulkAvailable()) return false;
  auto* control = reinterpret_cast<proxy::AgentEvidenceControl*>(g_client.transport.shared +
                                                                 proxy::BulkAreaOf(0));
  const u32 seq = proxy::ring_detail::LoadAcquire(&control->evidence_request.value);
  if (seq == g_client.agent_evidence_seen) return false;
  g_client.agent_evidence_seen = seq;
  proxy::ring_detail::CopyFromShared(report_data, control->report_data,
                                     proxy::kEvidenceReportDataSize);
  *sequence = seq;
  return true;
}

Status SendAgentEvidence(u32 sequence, i32 status, const u8* evidence, u32 length) {
  if (!BulkAvailable()) return Status(Err::kUnsupported, "exit proxy: no bulk area");
  if (length > proxy::kBulkRequestSize) {
    return Status(Err::kOutOfRange, "exit proxy: evidence larger than the bulk area");
  }
  const u64 at = proxy::BulkRequestOffset(0);
  proxy::ring_detail::CopyToShared(g_client.transport.shared + at, evidence, length);
  proxy::AttestationBulk bulk;
  bulk.kind = proxy::AttestationKind::kAgentEvidence;
  bulk.bulk_offset = static_cast<u32>(at);
  bulk.bulk_length = length;
  bulk.agent_request = sequence;
  bulk.status = status;
  const Result<DecodedMessage> reply =
      RoundTrip([&](MessageEncoder& e, u64 id) { return e.AttestationBulkRequest(id, 0, bulk); });
  if (!reply.ok()) return reply.status();
  if (reply.value().type != static_cast<u8>(MessageType::kAttestationResponse)) {
    return Status(Err::kHardware, "exit proxy: agent refused the evidence");
  }
  return Status::Ok();
}

Status RunMalformedSelfTest() {
  if (!g_client.attached) return Status(Err::kNotFound, "exit proxy: not attached");
  struct Case {
    const char* name;
    u32 kind;
  };
  static constexpr Case kCases[] = {
      {"random bytes", 0},
      {"wrong file identifier", 1},
      {"unknown message type", 2},
      {"response type sent to the agent", 3},
      {"vcpu field of another ring", 4},
      {"truncated table", 5},
      {"slot length beyond the slot", 6},
      {"body offset of 0", 7},
  };
  for (const Case& c : kCases) {
    const u64 id = g_client.next_id++;
    MessageEncoder encoder(g_request, sizeof(g_request));
    u32 length = encoder.IoAccess(id, 0, 0x708, 4, false, 0);
    u32 claimed = length;
    bool id_known = false;  // the agent can read the id only if the buffer verifies
    switch (c.kind) {
      case 0:
        for (u32 i = 0; i < 64; ++i) g_request[i] = static_cast<u8>(0xa5 ^ (i * 37));
        length = claimed = 64;
        break;
      case 1:
        g_request[4] = 'X';
        break;
      case 2:
        length = claimed = encoder.RawEmpty(id, 0, 200);
        id_known = true;
        break;
      case 3:
        length = claimed = encoder.IoResult(id, 0, 1);
        id_known = true;
        break;
      case 4:
        length = claimed = encoder.IoAccess(id, 5, 0x708, 4, false, 0);
        id_known = true;
        break;
      case 5:
        length = claimed = length / 2;
        break;
      case 6:
        claimed = 0xfffff;
        break;
      default: {
        // Message{id, vcpu, body_type = IoAccess} whose body offset field is 0.
        fblite::Writer w(g_request, sizeof(g_request));
        u32 body_field = 0;
        proxy::codec_detail::BeginMessage(w, id, 0, MessageType::kIoAccess, &body_field);
        w.Align(8);
        length = claimed = w.ok() ? w.size() : 0;
        break;
      }
    }
    ++g_client.stats.requests;
    PV_TRY(Publish(g_request, length, claimed));
    const Result<DecodedMessage> reply = AwaitResponse(id_known ? id : 0, /*accept_id_zero=*/true);
    if (!reply.ok()) {
      Log("exit proxy self-test: '%s' was not answered", c.name);
      return Status(Err::kHardware, "exit proxy self-test: a malformed message was not answered");
    }
    if (reply.value().type != static_cast<u8>(MessageType::kError)) {
      Log("exit proxy self-test: '%s' was answered with type %u, not Error", c.name,
          reply.value().type);
      return Status(Err::kHardware, "exit proxy self-test: a malformed message was accepted");
    }
    Log("exit proxy self-test: '%s' rejected by the agent (error %u)", c.name,
        reply.value().error_code);
  }
  // The channel still works after the garbage.
  const Result<u32> magic = ForwardIo(0x708, 4, false, 0);
  if (!magic.ok() || magic.value() != 0x44545650u) {
    return Status(Err::kHardware,
                  "exit proxy self-test: valid request failed after malformed ones");
  }
  Log("exit proxy self-test: %u malformed messages rejected, channel still serves requests",
      static_cast<u32>(sizeof(kCases) / sizeof(kCases[0])));
  return Status::Ok();
}

const ClientStats& Stats() {
  return g_client.stats;
}

}  // namespace pv::proxy_client
