// The exit handler's attestation relay: AttestationRequest messages whose bytes are in the
// paravisor's bulk area (ring_layout.h VcpuBulk) go to the partition's AttestationBackend (the
// secure processor: the simulated one on the emulated platforms); its answer goes into the
// agent's bulk area and is named by the AttestationResponse. AgentEvidence goes to the mailbox.
//
// The agent only relays: a guest message is ciphertext it cannot read and the backend checks it.
// What the relay checks is the transport: the kind, that the named bytes lie inside this vCPU's
// request area, and the sizes. The bytes are copied out of shared memory once, before anything
// looks at them.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "exit_handler.h"
#include "exit_proxy_generated.h"
#include "fblite/exit_codec.h"
#include "ring/ring_layout.h"
#include "ring/spsc_ring.h"

namespace pv::agent {

namespace fb = pv::proxy::fb;

namespace {

constexpr size_t kGuestMessageMax = 4096;  // one page (snp_guest_msg.h)
constexpr size_t kTdReportSize = 1024;

// struct tdx_quote_buf header (what the TDVMCALL GetQuote shares with the host).
struct QuoteBufferHeader {
  uint64_t version;
  uint64_t status;
  uint32_t in_len;
  uint32_t out_len;
};
static_assert(sizeof(QuoteBufferHeader) == 24);

}  // namespace

std::vector<uint8_t> ExitHandler::HandleAttestation(uint64_t id, uint32_t vcpu,
                                                    const void* request_table) {
  using proxy::ErrorCode;
  auto code = [](ErrorCode c) { return static_cast<uint16_t>(c); };
  const auto* req = static_cast<const fb::AttestationRequest*>(request_table);
  const auto kind = static_cast<uint8_t>(req->kind());
  if (kind == static_cast<uint8_t>(fb::AttestationKind::Opaque)) {
    return Reject(id, vcpu, code(ErrorCode::kUnsupported),
                  "opaque attestation payloads are not a service this agent offers");
  }
  if (kind > proxy::kMaxAttestationKind) {
    return Reject(id, vcpu, code(ErrorCode::kMalformed),
                  absl::StrCat("unknown attestation kind ", kind));
  }
  if (attestation_.shared == nullptr) {
    return Reject(id, vcpu, code(ErrorCode::kUnsupported),
                  "no attestation service is configured on this agent");
  }
  const uint64_t area = proxy::BulkRequestOffset(vcpu);
  if (!proxy::BulkRangeInside(req->bulk_offset(), req->bulk_length(), area,
                              proxy::kBulkRequestSize) ||
      area + proxy::kBulkRequestSize > attestation_.shared_size) {
    return Reject(id, vcpu, code(ErrorCode::kMalformed),
                  absl::StrCat("attestation bytes at ", req->bulk_offset(), "+", req->bulk_length(),
                               " are outside vcpu ", vcpu, "'s bulk request area"));
  }
  // The one copy out of shared memory.
  std::vector<uint8_t> bytes(req->bulk_length());
  proxy::ring_detail::CopyFromShared(bytes.data(), attestation_.shared + req->bulk_offset(),
                                     static_cast<uint32_t>(bytes.size()));

  if (kind == static_cast<uint8_t>(fb::AttestationKind::AgentEvidence)) {
    if (attestation_.mailbox == nullptr) {
      return Reject(id, vcpu, code(ErrorCode::kUnsupported), "no evidence request is pending");
    }
    attestation_.mailbox->Deliver(req->agent_request(), req->status(), std::move(bytes));
    ++counters_.round_trips;
    flatbuffers::FlatBufferBuilder b(128);
    auto resp = fb::CreateAttestationResponse(b, 0, fb::AttestationKind::AgentEvidence);
    b.Finish(fb::CreateMessage(b, id, vcpu, fb::Body::AttestationResponse, resp.Union()), "PVXP");
    return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  }

  std::vector<uint8_t> answer;
  if (kind == static_cast<uint8_t>(fb::AttestationKind::KbsRelay)) {
    if (attestation_.kbs == nullptr) {
      return Reject(id, vcpu, code(ErrorCode::kUnsupported),
                    "this partition has no key broker (spec.attestation)");
    }
    absl::StatusOr<std::vector<uint8_t>> relayed =
        attestation_.kbs->Exchange(bytes, proxy::kBulkResponseSize);
    if (!relayed.ok()) {
      return Reject(id, vcpu, code(ErrorCode::kMalformed), std::string(relayed.status().message()));
    }
    answer = std::move(*relayed);
  } else if (attestation_.backend == nullptr) {
    return Reject(id, vcpu, code(ErrorCode::kUnsupported),
                  "no attestation service is configured on this agent");
  } else if (kind == static_cast<uint8_t>(fb::AttestationKind::GuestRequest)) {
    if (bytes.size() < 96 || bytes.size() > kGuestMessageMax) {
      return Reject(id, vcpu, code(ErrorCode::kMalformed),
                    absl::StrCat("guest message of ", bytes.size(), " bytes is not 96..4096"));
    }
    absl::StatusOr<std::vector<uint8_t>> response = attestation_.backend->GuestRequest(bytes);
    if (!response.ok()) {
      return Reject(id, vcpu, code(ErrorCode::kInternal),
                    absl::StrCat("secure processor: ", response.status().message()));
    }
    answer = std::move(*response);
  } else {  // GetQuote: a tdx_quote_buf carrying the TDREPORT
    QuoteBufferHeader h{};
    if (bytes.size() < sizeof(h) + kTdReportSize) {
      return Reject(id, vcpu, code(ErrorCode::kMalformed), "quote buffer shorter than a TDREPORT");
    }
    std::memcpy(&h, bytes.data(), sizeof(h));
    if (h.version != 1 || h.in_len != kTdReportSize) {
      return Reject(id, vcpu, code(ErrorCode::kMalformed),
                    absl::StrCat("quote buffer version ", h.version, " / in_len ", h.in_len,
                                 " (want 1 / 1024)"));
    }
    absl::StatusOr<std::vector<uint8_t>> quote = attestation_.backend->GetQuote(
        std::span<const uint8_t>(bytes.data() + sizeof(h), kTdReportSize));
    if (!quote.ok()) {
      return Reject(id, vcpu, code(ErrorCode::kInternal),
                    absl::StrCat("quoting service: ", quote.status().message()));
    }
    QuoteBufferHeader out{1, 0, static_cast<uint32_t>(kTdReportSize),
                          static_cast<uint32_t>(quote->size())};
    answer.resize(sizeof(out) + quote->size());
    std::memcpy(answer.data(), &out, sizeof(out));
    std::memcpy(answer.data() + sizeof(out), quote->data(), quote->size());
  }
  const uint64_t out_at = proxy::BulkResponseOffset(vcpu);
  if (answer.size() > proxy::kBulkResponseSize ||
      out_at + proxy::kBulkResponseSize > attestation_.shared_size) {
    return Reject(id, vcpu, code(ErrorCode::kInternal),
                  absl::StrCat("attestation answer of ", answer.size(),
                               " bytes does not fit the bulk response area"));
  }
  // Written before the response is published (the ring push is a release store).
  proxy::ring_detail::CopyToShared(attestation_.shared + out_at, answer.data(),
                                   static_cast<uint32_t>(answer.size()));
  ++counters_.round_trips;
  flatbuffers::FlatBufferBuilder b(128);
  auto resp = fb::CreateAttestationResponse(b, 0, static_cast<fb::AttestationKind>(kind),
                                            static_cast<uint32_t>(out_at),
                                            static_cast<uint32_t>(answer.size()));
  b.Finish(fb::CreateMessage(b, id, vcpu, fb::Body::AttestationResponse, resp.Union()), "PVXP");
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

}  // namespace pv::agent
