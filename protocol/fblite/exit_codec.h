// Freestanding encoder and verifying decoder for the exit-proxy messages of exit_proxy.fbs.
//
// Field indices follow the schema (a union occupies two slots: its type, then its value).
// The firmware encodes requests/notifications and decodes responses with this; the host agent
// uses flatc-generated code, and the unit tests cross-check both in each direction.
#ifndef PV_PROTOCOL_FBLITE_EXIT_CODEC_H_
#define PV_PROTOCOL_FBLITE_EXIT_CODEC_H_

#include <stddef.h>
#include <stdint.h>

#include "fb_lite.h"  // sibling include: works without -I

namespace pv::proxy {

// Union type tags of `Body` (exit_proxy.fbs); 0 is NONE.
enum class MessageType : uint8_t {
  kNone = 0,
  kVersionRequest = 1,
  kVersionResponse = 2,
  kIoAccess = 3,
  kIoResult = 4,
  kMmioAccess = 5,
  kMmioResult = 6,
  kConsoleOutput = 7,
  kGuestStopped = 8,
  kStatistics = 9,
  kAttestationRequest = 10,
  kAttestationResponse = 11,
  kError = 12,
};
inline constexpr uint8_t kMaxKnownMessageType = 12;

enum class ErrorCode : uint16_t {
  kNone = 0,
  kUnknownType = 1,
  kMalformed = 2,
  kUnexpectedType = 3,
  kNoDevice = 4,
  kVersionMismatch = 5,
  kNotNegotiated = 6,
  kInternal = 7,
  kUnsupported = 8,
};

enum class StopReason : uint8_t {
  kExited = 0,
  kFault = 1,
  kTripleFault = 2,
  kShutdown = 3,
  kPanic = 4,
};

// AttestationRequest/Response.kind (exit_proxy.fbs AttestationKind).
enum class AttestationKind : uint8_t {
  kOpaque = 0,
  kGuestRequest = 1,
  kGetQuote = 2,
  kAgentEvidence = 3,
  kKbsRelay = 4,
};
inline constexpr uint8_t kMaxAttestationKind = 4;

// The bulk-data fields of an attestation message (kind onwards; the inline payload is absent).
struct AttestationBulk {
  AttestationKind kind = AttestationKind::kOpaque;
  uint32_t bulk_offset = 0;
  uint32_t bulk_length = 0;
  uint32_t agent_request = 0;  // AgentEvidence only (requests)
  int32_t status = 0;          // AgentEvidence only (requests)
};

inline constexpr uint16_t kProtocolVersion = 1;
inline constexpr char kFileIdentifier[4] = {'P', 'V', 'X', 'P'};

// Layout of the ExitCounter struct as flatc lays it out.
struct ExitCounterWire {
  uint32_t reason;
  uint32_t padding;
  uint64_t count;
};
static_assert(sizeof(ExitCounterWire) == 16);

// A decoded message. Pointers (bytes, counters) point into the buffer that was decoded, which
// must be the decoder's private copy, never shared memory.
struct DecodedMessage {
  uint64_t id = 0;
  uint32_t vcpu = 0;
  uint8_t type = 0;  // MessageType value; may be > kMaxKnownMessageType (unknown)
  // VersionRequest / VersionResponse
  uint16_t min_version = 0;
  uint16_t max_version = 0;
  uint16_t vcpu_count = 0;
  uint16_t version = 0;
  // IoAccess / MmioAccess (port holds the IO port, address the MMIO address)
  uint16_t port = 0;
  uint64_t address = 0;
  uint8_t size = 0;
  bool write = false;
  // IoAccess / IoResult / MmioAccess / MmioResult
  uint64_t value = 0;
  // GuestStopped
  uint8_t stop_reason = 0;
  uint32_t code = 0;
  // Statistics
  uint64_t total_exits = 0;
  uint64_t proxied_exits = 0;
  const uint8_t* counters = nullptr;  // ExitCounterWire[counter_count], little-endian
  uint32_t counter_count = 0;
  // ConsoleOutput / Attestation* payload, Error detail (not NUL-terminated here)
  const uint8_t* bytes = nullptr;
  uint32_t byte_count = 0;
  // AttestationRequest / AttestationResponse (appended fields; kind > kMaxAttestationKind is
  // decoded as is, for the receiver to refuse)
  uint8_t attestation_kind = 0;
  uint32_t bulk_offset = 0;
  uint32_t bulk_length = 0;
  uint32_t agent_request = 0;
  int32_t attestation_status = 0;
  uint16_t error_code = 0;
};

enum class DecodeStatus : uint8_t {
  kOk = 0,
  kTooShort,
  kBadIdentifier,
  kBadRoot,
  kBadMessageTable,
  kBadBody,
  kMissingBody,
  kTooLarge,
};

inline const char* DecodeStatusName(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kTooShort:
      return "buffer too short";
    case DecodeStatus::kBadIdentifier:
      return "wrong file identifier";
    case DecodeStatus::kBadRoot:
      return "root offset out of bounds";
    case DecodeStatus::kBadMessageTable:
      return "malformed Message table";
    case DecodeStatus::kBadBody:
      return "malformed body table";
    case DecodeStatus::kMissingBody:
      return "body type without body";
    case DecodeStatus::kTooLarge:
      return "buffer larger than the limit";
  }
  return "unknown";
}

namespace codec_detail {

// Field indices (vtable slots) of each table.
enum MessageField : uint32_t { kMsgId = 0, kMsgVcpu = 1, kMsgBodyType = 2, kMsgBody = 3 };

// Writes Message{id, vcpu, body_type} with a body offset to patch; returns false on overflow.
inline bool BeginMessage(fblite::Writer& w, uint64_t id, uint32_t vcpu, MessageType type,
                         uint32_t* body_field) {
  const uint32_t root = w.BeginBuffer(kFileIdentifier);
  fblite::FieldSpec fields[4] = {
      {8, id, nullptr},
      {4, vcpu, nullptr},
      {1, static_cast<uint8_t>(type), nullptr},
      {4, 0, body_field},
  };
  const uint32_t table = w.PutTable(fields, 4);
  w.PatchOffset(root, table);
  return w.ok();
}

}  // namespace codec_detail

// Encoders: each writes one complete buffer into `out` (which should be 8-byte aligned) and
// returns its size, or 0 if it does not fit `capacity`.
class MessageEncoder {
 public:
  MessageEncoder(uint8_t* out, uint32_t capacity) : out_(out), cap_(capacity) {}

  uint32_t VersionRequest(uint64_t id, uint32_t vcpu, uint16_t min_v, uint16_t max_v,
                          uint16_t vcpus) {
    fblite::FieldSpec f[3] = {{2, min_v, nullptr}, {2, max_v, nullptr}, {2, vcpus, nullptr}};
    return Simple(id, vcpu, MessageType::kVersionRequest, f, 3);
  }
  uint32_t VersionResponse(uint64_t id, uint32_t vcpu, uint16_t version) {
    fblite::FieldSpec f[1] = {{2, version, nullptr}};
    return Simple(id, vcpu, MessageType::kVersionResponse, f, 1);
  }
  uint32_t IoAccess(uint64_t id, uint32_t vcpu, uint16_t port, uint8_t size, bool write,
                    uint32_t value) {
    fblite::FieldSpec f[4] = {
        {2, port, nullptr}, {1, size, nullptr}, {1, write ? 1u : 0u, nullptr}, {4, value, nullptr}};
    return Simple(id, vcpu, MessageType::kIoAccess, f, 4);
  }
  uint32_t IoResult(uint64_t id, uint32_t vcpu, uint32_t value) {
    fblite::FieldSpec f[1] = {{4, value, nullptr}};
    return Simple(id, vcpu, MessageType::kIoResult, f, 1);
  }
  uint32_t MmioAccess(uint64_t id, uint32_t vcpu, uint64_t address, uint8_t size, bool write,
                      uint64_t value) {
    fblite::FieldSpec f[4] = {{8, address, nullptr},
                              {1, size, nullptr},
                              {1, write ? 1u : 0u, nullptr},
                              {8, value, nullptr}};
    return Simple(id, vcpu, MessageType::kMmioAccess, f, 4);
  }
  uint32_t MmioResult(uint64_t id, uint32_t vcpu, uint64_t value) {
    fblite::FieldSpec f[1] = {{8, value, nullptr}};
    return Simple(id, vcpu, MessageType::kMmioResult, f, 1);
  }
  uint32_t GuestStopped(uint64_t id, uint32_t vcpu, StopReason reason, uint32_t code) {
    fblite::FieldSpec f[2] = {{1, static_cast<uint8_t>(reason), nullptr}, {4, code, nullptr}};
    return Simple(id, vcpu, MessageType::kGuestStopped, f, 2);
  }
  uint32_t ConsoleOutput(uint64_t id, uint32_t vcpu, const void* data, uint32_t length) {
    return Bytes(id, vcpu, MessageType::kConsoleOutput, data, length, false);
  }
  uint32_t AttestationRequest(uint64_t id, uint32_t vcpu, const void* data, uint32_t length) {
    return Bytes(id, vcpu, MessageType::kAttestationRequest, data, length, false);
  }
  uint32_t AttestationResponse(uint64_t id, uint32_t vcpu, const void* data, uint32_t length) {
    return Bytes(id, vcpu, MessageType::kAttestationResponse, data, length, false);
  }
  // AttestationRequest/Response whose bytes are in a bulk area (no inline payload).
  uint32_t AttestationBulkRequest(uint64_t id, uint32_t vcpu, const AttestationBulk& a) {
    return Attestation(id, vcpu, MessageType::kAttestationRequest, a, true);
  }
  uint32_t AttestationBulkResponse(uint64_t id, uint32_t vcpu, const AttestationBulk& a) {
    return Attestation(id, vcpu, MessageType::kAttestationResponse, a, false);
  }
  // Error{code, detail}: detail is a string (NUL added here).
  uint32_t Error(uint64_t id, uint32_t vcpu, ErrorCode code, const char* detail,
                 uint32_t detail_length) {
    fblite::Writer w(out_, cap_);
    uint32_t body_field = 0;
    if (!codec_detail::BeginMessage(w, id, vcpu, MessageType::kError, &body_field)) return 0;
    uint32_t detail_field = 0;
    fblite::FieldSpec f[2] = {{2, static_cast<uint16_t>(code), nullptr}, {4, 0, &detail_field}};
    const uint32_t table = w.PutTable(f, 2);
    w.PatchOffset(body_field, table);
    const uint32_t str = w.PutVector(detail, detail_length, 1, 1, true);
    w.PatchOffset(detail_field, str);
    return Finish(w);
  }
  // Statistics{total, proxied, counters}: `counters` are (reason, count) pairs.
  uint32_t Statistics(uint64_t id, uint32_t vcpu, uint64_t total, uint64_t proxied,
                      const uint32_t* reasons, const uint64_t* counts, uint32_t n) {
    fblite::Writer w(out_, cap_);
    uint32_t body_field = 0;
    if (!codec_detail::BeginMessage(w, id, vcpu, MessageType::kStatistics, &body_field)) return 0;
    uint32_t counters_field = 0;
    fblite::FieldSpec f[3] = {{8, total, nullptr}, {8, proxied, nullptr}, {4, 0, &counters_field}};
    const uint32_t table = w.PutTable(f, 3);
    w.PatchOffset(body_field, table);
    // Vector of structs: written element by element in wire layout.
    const uint32_t at = w.PutVector(nullptr, 0, 16, 8, false);
    w.PatchOffset(counters_field, at);
    for (uint32_t i = 0; i < n; ++i) {
      w.PutScalar(reasons[i], 4);
      w.PutScalar(0, 4);
      w.PutScalar(counts[i], 8);
    }
    if (!w.ok()) return 0;
    // Fix up the element count written as 0 above.
    fblite::StoreLe(out_ + at, n, 4);
    return Finish(w);
  }
  // A message with an arbitrary (possibly unknown) type tag and an empty body table.
  uint32_t RawEmpty(uint64_t id, uint32_t vcpu, uint8_t type) {
    return Simple(id, vcpu, static_cast<MessageType>(type), nullptr, 0);
  }

 private:
  uint32_t Simple(uint64_t id, uint32_t vcpu, MessageType type, const fblite::FieldSpec* f,
                  uint32_t n) {
    fblite::Writer w(out_, cap_);
    uint32_t body_field = 0;
    if (!codec_detail::BeginMessage(w, id, vcpu, type, &body_field)) return 0;
    const uint32_t table = w.PutTable(f, n);
    w.PatchOffset(body_field, table);
    return Finish(w);
  }
  uint32_t Attestation(uint64_t id, uint32_t vcpu, MessageType type, const AttestationBulk& a,
                       bool request) {
    // Fields: payload (absent), kind, bulk_offset, bulk_length[, agent_request, status].
    fblite::FieldSpec f[6] = {{0, 0, nullptr},
                              {1, static_cast<uint8_t>(a.kind), nullptr},
                              {4, a.bulk_offset, nullptr},
                              {4, a.bulk_length, nullptr},
                              {4, a.agent_request, nullptr},
                              {4, static_cast<uint32_t>(a.status), nullptr}};
    return Simple(id, vcpu, type, f, request ? 6 : 4);
  }
  uint32_t Bytes(uint64_t id, uint32_t vcpu, MessageType type, const void* data, uint32_t length,
                 bool is_string) {
    fblite::Writer w(out_, cap_);
    uint32_t body_field = 0;
    if (!codec_detail::BeginMessage(w, id, vcpu, type, &body_field)) return 0;
    uint32_t data_field = 0;
    fblite::FieldSpec f[1] = {{4, 0, &data_field}};
    const uint32_t table = w.PutTable(f, 1);
    w.PatchOffset(body_field, table);
    const uint32_t vec = w.PutVector(data, length, 1, 1, is_string);
    w.PatchOffset(data_field, vec);
    return Finish(w);
  }
  uint32_t Finish(fblite::Writer& w) {
    // Keep the total a multiple of 8 like flatc does, so buffers can be concatenated/aligned.
    w.Align(8);
    return w.ok() ? w.size() : 0;
  }

  uint8_t* out_;
  uint32_t cap_;
};

// Verifies and decodes a message. `buf` must be a private copy, 8-byte aligned, at most
// `max_size` bytes. Unknown body types decode successfully with `type` set and no fields, so
// the caller can answer them with ErrorCode::kUnknownType.
inline DecodeStatus DecodeMessage(const uint8_t* buf, uint32_t len, uint32_t max_size,
                                  DecodedMessage* out) {
  using fblite::TableView;
  *out = DecodedMessage{};
  if (len > max_size) return DecodeStatus::kTooLarge;
  if (len < 8) return DecodeStatus::kTooShort;
  for (int i = 0; i < 4; ++i) {
    if (buf[4 + i] != static_cast<uint8_t>(kFileIdentifier[i])) return DecodeStatus::kBadIdentifier;
  }
  const uint64_t root = fblite::LoadLe(buf, 4);
  if (root == 0 || root >= len) return DecodeStatus::kBadRoot;
  TableView msg;
  if (!TableView::Open(buf, len, static_cast<uint32_t>(root), &msg)) {
    return DecodeStatus::kBadMessageTable;
  }
  uint64_t v;
  if (!msg.Scalar(codec_detail::kMsgId, 8, 0, &v)) return DecodeStatus::kBadMessageTable;
  out->id = v;
  if (!msg.Scalar(codec_detail::kMsgVcpu, 4, 0, &v)) return DecodeStatus::kBadMessageTable;
  out->vcpu = static_cast<uint32_t>(v);
  if (!msg.Scalar(codec_detail::kMsgBodyType, 1, 0, &v)) return DecodeStatus::kBadMessageTable;
  out->type = static_cast<uint8_t>(v);
  uint32_t body_pos;
  if (!msg.Offset(codec_detail::kMsgBody, &body_pos)) return DecodeStatus::kBadMessageTable;
  if (out->type == 0) return DecodeStatus::kOk;  // NONE: no body expected
  if (body_pos == 0) return DecodeStatus::kMissingBody;
  TableView body;
  if (!TableView::Open(buf, len, body_pos, &body)) return DecodeStatus::kBadBody;
  if (out->type > kMaxKnownMessageType) return DecodeStatus::kOk;  // unknown: caller answers

  bool ok = true;
  auto scalar = [&](uint32_t index, uint32_t size) -> uint64_t {
    uint64_t value = 0;
    if (!body.Scalar(index, size, 0, &value)) ok = false;
    return value;
  };
  switch (static_cast<MessageType>(out->type)) {
    case MessageType::kVersionRequest:
      out->min_version = static_cast<uint16_t>(scalar(0, 2));
      out->max_version = static_cast<uint16_t>(scalar(1, 2));
      out->vcpu_count = static_cast<uint16_t>(scalar(2, 2));
      break;
    case MessageType::kVersionResponse:
      out->version = static_cast<uint16_t>(scalar(0, 2));
      break;
    case MessageType::kIoAccess:
      out->port = static_cast<uint16_t>(scalar(0, 2));
      out->size = static_cast<uint8_t>(scalar(1, 1));
      out->write = scalar(2, 1) != 0;
      out->value = scalar(3, 4);
      break;
    case MessageType::kIoResult:
      out->value = scalar(0, 4);
      break;
    case MessageType::kMmioAccess:
      out->address = scalar(0, 8);
      out->size = static_cast<uint8_t>(scalar(1, 1));
      out->write = scalar(2, 1) != 0;
      out->value = scalar(3, 8);
      break;
    case MessageType::kMmioResult:
      out->value = scalar(0, 8);
      break;
    case MessageType::kGuestStopped:
      out->stop_reason = static_cast<uint8_t>(scalar(0, 1));
      out->code = static_cast<uint32_t>(scalar(1, 4));
      break;
    case MessageType::kStatistics:
      out->total_exits = scalar(0, 8);
      out->proxied_exits = scalar(1, 8);
      if (ok) ok = body.Vector(2, 16, 8, false, &out->counters, &out->counter_count);
      break;
    case MessageType::kConsoleOutput:
      ok = body.Vector(0, 1, 1, false, &out->bytes, &out->byte_count);
      break;
    case MessageType::kAttestationRequest:
    case MessageType::kAttestationResponse:
      ok = body.Vector(0, 1, 1, false, &out->bytes, &out->byte_count);
      if (ok) out->attestation_kind = static_cast<uint8_t>(scalar(1, 1));
      if (ok) out->bulk_offset = static_cast<uint32_t>(scalar(2, 4));
      if (ok) out->bulk_length = static_cast<uint32_t>(scalar(3, 4));
      if (ok && out->type == static_cast<uint8_t>(MessageType::kAttestationRequest)) {
        out->agent_request = static_cast<uint32_t>(scalar(4, 4));
        out->attestation_status = static_cast<int32_t>(static_cast<uint32_t>(scalar(5, 4)));
      }
      break;
    case MessageType::kError:
      out->error_code = static_cast<uint16_t>(scalar(0, 2));
      if (ok) ok = body.Vector(1, 1, 1, true, &out->bytes, &out->byte_count);
      break;
    case MessageType::kNone:
      break;
  }
  return ok ? DecodeStatus::kOk : DecodeStatus::kBadBody;
}

}  // namespace pv::proxy

#endif  // PV_PROTOCOL_FBLITE_EXIT_CODEC_H_
