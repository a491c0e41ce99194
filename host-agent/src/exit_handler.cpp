#include "exit_handler.h"

#include "absl/strings/str_cat.h"
#include "exit_proxy_generated.h"
#include "fblite/exit_codec.h"
#include "flatbuffers/flatbuffers.h"
#include "ring/ring_layout.h"

namespace pv::agent {

namespace fb = pv::proxy::fb;

namespace {

// Verification limits sized to the messages: Message + one body table, one vector.
constexpr uint32_t kMaxDepth = 4;
constexpr uint32_t kMaxTables = 4;
constexpr uint32_t kMaxConsoleBytes = proxy::kMaxMessageSize;

std::vector<uint8_t> Finish(flatbuffers::FlatBufferBuilder& b, uint64_t id, uint32_t vcpu,
                            fb::Body type, flatbuffers::Offset<void> body) {
  b.Finish(fb::CreateMessage(b, id, vcpu, type, body), "PVXP");
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

bool ValidIoSize(uint8_t size) {
  return size == 1 || size == 2 || size == 4;
}
bool ValidMmioSize(uint8_t size) {
  return size == 1 || size == 2 || size == 4 || size == 8;
}

}  // namespace

std::vector<uint8_t> ExitHandler::Reject(uint64_t id, uint32_t vcpu, uint16_t code,
                                         const std::string& why) {
  ++counters_.errors;
  sink_->OnProxyError(absl::StrCat("vcpu ", vcpu, " message ", id, ": ", why));
  flatbuffers::FlatBufferBuilder b(256);
  auto detail = b.CreateString(why.substr(0, 200));
  auto error = fb::CreateError(b, static_cast<fb::ErrorCode>(code), detail);
  return Finish(b, id, vcpu, fb::Body::Error, error.Union());
}

std::vector<uint8_t> ExitHandler::Handle(const uint8_t* data, uint32_t length, uint32_t ring_vcpu) {
  using proxy::ErrorCode;
  auto code = [](ErrorCode c) { return static_cast<uint16_t>(c); };
  if (length > proxy::kMaxMessageSize) {
    return Reject(0, ring_vcpu, code(ErrorCode::kMalformed),
                  absl::StrCat("message of ", length, " bytes exceeds ", proxy::kMaxMessageSize));
  }
  // The size limit is enforced above (the buffer length); depth and table count here.
  flatbuffers::Verifier::Options options;
  options.max_depth = kMaxDepth;
  options.max_tables = kMaxTables;
  flatbuffers::Verifier verifier(data, length, options);
  if (!fb::VerifyMessageBuffer(verifier)) {
    return Reject(0, ring_vcpu, code(ErrorCode::kMalformed), "failed flatbuffers verification");
  }
  const fb::Message* msg = fb::GetMessage(data);
  const uint64_t id = msg->id();
  if (msg->vcpu() != ring_vcpu) {
    return Reject(id, ring_vcpu, code(ErrorCode::kMalformed),
                  absl::StrCat("vcpu field ", msg->vcpu(), " does not match its ring"));
  }
  const auto type = static_cast<uint8_t>(msg->body_type());
  if (type > proxy::kMaxKnownMessageType) {
    return Reject(id, ring_vcpu, code(ErrorCode::kUnknownType),
                  absl::StrCat("unknown message type ", type));
  }
  if (msg->body() == nullptr) {
    return Reject(id, ring_vcpu, code(ErrorCode::kMalformed),
                  absl::StrCat("message type ", type, " without a body"));
  }
  if (!negotiated_ && msg->body_type() != fb::Body::VersionRequest) {
    return Reject(id, ring_vcpu, code(ErrorCode::kNotNegotiated),
                  "request before version negotiation");
  }

  flatbuffers::FlatBufferBuilder b(256);
  switch (msg->body_type()) {
    case fb::Body::VersionRequest: {
      const fb::VersionRequest* req = msg->body_as_VersionRequest();
      if (req->min_version() > proxy::kProtocolVersion ||
          req->max_version() < proxy::kProtocolVersion) {
        return Reject(id, ring_vcpu, code(ErrorCode::kVersionMismatch),
                      absl::StrCat("versions ", req->min_version(), "..", req->max_version(),
                                   " do not include ", proxy::kProtocolVersion));
      }
      negotiated_ = true;
      ++counters_.round_trips;
      auto resp = fb::CreateVersionResponse(b, proxy::kProtocolVersion);
      return Finish(b, id, ring_vcpu, fb::Body::VersionResponse, resp.Union());
    }
    case fb::Body::IoAccess: {
      const fb::IoAccess* io = msg->body_as_IoAccess();
      if (!ValidIoSize(io->size())) {
        return Reject(id, ring_vcpu, code(ErrorCode::kMalformed),
                      absl::StrCat("IoAccess size ", io->size(), " is not 1, 2 or 4"));
      }
      uint64_t offset = 0;
      Device* device = bus_->FindIo(io->port(), io->size(), &offset);
      if (device == nullptr) {
        return Reject(id, ring_vcpu, code(ErrorCode::kNoDevice),
                      absl::StrCat("no device at IO port 0x", absl::Hex(io->port())));
      }
      uint32_t value = 0;
      if (io->write()) {
        device->Write(offset, io->size(), io->value());
      } else {
        value = static_cast<uint32_t>(device->Read(offset, io->size()));
      }
      ++counters_.round_trips;
      auto resp = fb::CreateIoResult(b, value);
      return Finish(b, id, ring_vcpu, fb::Body::IoResult, resp.Union());
    }
    case fb::Body::MmioAccess: {
      const fb::MmioAccess* mmio = msg->body_as_MmioAccess();
      if (!ValidMmioSize(mmio->size())) {
        return Reject(id, ring_vcpu, code(ErrorCode::kMalformed),
                      absl::StrCat("MmioAccess size ", mmio->size(), " is not 1, 2, 4 or 8"));
      }
      uint64_t offset = 0;
      Device* device = bus_->FindMmio(mmio->address(), mmio->size(), &offset);
      if (device == nullptr) {
        return Reject(id, ring_vcpu, code(ErrorCode::kNoDevice),
                      absl::StrCat("no device at MMIO 0x", absl::Hex(mmio->address())));
      }
      uint64_t value = 0;
      if (mmio->write()) {
        device->Write(offset, mmio->size(), mmio->value());
      } else {
        value = device->Read(offset, mmio->size());
      }
      ++counters_.round_trips;
      auto resp = fb::CreateMmioResult(b, value);
      return Finish(b, id, ring_vcpu, fb::Body::MmioResult, resp.Union());
    }
    case fb::Body::ConsoleOutput: {
      const auto* data_vec = msg->body_as_ConsoleOutput()->data();
      if (data_vec != nullptr && data_vec->size() > kMaxConsoleBytes) {
        return Reject(id, ring_vcpu, code(ErrorCode::kMalformed), "console output too long");
      }
      if (data_vec != nullptr && data_vec->size() > 0) {
        sink_->OnConsole(
            absl::string_view(reinterpret_cast<const char*>(data_vec->data()), data_vec->size()));
      }
      ++counters_.notifications;
      return {};
    }
    case fb::Body::GuestStopped: {
      const fb::GuestStopped* stopped = msg->body_as_GuestStopped();
      sink_->OnGuestStopped(static_cast<uint32_t>(stopped->reason()), stopped->code());
      ++counters_.notifications;
      return {};
    }
    case fb::Body::Statistics: {
      const fb::Statistics* stats = msg->body_as_Statistics();
      std::vector<std::pair<uint32_t, uint64_t>> counters;
      if (stats->counters() != nullptr) {
        for (const fb::ExitCounter* c : *stats->counters()) {
          counters.emplace_back(c->reason(), c->count());
        }
      }
      sink_->OnStatistics(stats->total_exits(), stats->proxied_exits(), counters);
      ++counters_.notifications;
      return {};
    }
    case fb::Body::AttestationRequest:
      return HandleAttestation(id, ring_vcpu, msg->body_as_AttestationRequest());
    case fb::Body::VersionResponse:
    case fb::Body::IoResult:
    case fb::Body::MmioResult:
    case fb::Body::AttestationResponse:
    case fb::Body::Error:
      return Reject(id, ring_vcpu, code(ErrorCode::kUnexpectedType),
                    absl::StrCat("message type ", type, " must not be sent to the agent"));
    case fb::Body::NONE:
      break;
  }
  return Reject(id, ring_vcpu, code(ErrorCode::kMalformed), "message without a type");
}

}  // namespace pv::agent
