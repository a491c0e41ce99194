// libFuzzer target: the agent's decoding and handling of one exit-proxy message, plus the
// firmware codec on the same bytes. Invariants: no crash / sanitizer report; every non-empty
// response verifies; the firmware decoder never accepts what the official Verifier rejects.
// Byte 0 bit 1 routes attestation requests to a backend over a shared area whose vCPU-0 bulk
// request holds a GetQuote buffer (tdx_quote_buf + TDREPORT) with its 24-byte header taken
// from the input's last bytes, so the relay's buffer checks see hostile headers and sizes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "attestation_backend.h"
#include "device_models.h"
#include "exit_handler.h"
#include "exit_proxy_generated.h"
#include "fblite/exit_codec.h"
#include "ring/ring_layout.h"

namespace {

class NullSink : public pv::agent::ExitSink {
 public:
  void OnConsole(absl::string_view) override {}
  void OnGuestStopped(uint32_t, uint32_t) override {}
  void OnStatistics(uint64_t, uint64_t,
                    const std::vector<std::pair<uint32_t, uint64_t>>&) override {}
  void OnProxyError(const std::string&) override {}
};

// Answers like a secure processor would in size; the relay, not this, is under test.
class EchoBackend : public pv::agent::AttestationBackend {
 public:
  absl::StatusOr<std::vector<uint8_t>> GuestRequest(std::span<const uint8_t> message) override {
    if (message.size() < 96 || message.size() > 4096) std::abort();  // the relay checked it
    return std::vector<uint8_t>(message.begin(), message.end());
  }
  absl::StatusOr<std::vector<uint8_t>> GetQuote(std::span<const uint8_t> tdreport) override {
    if (tdreport.size() != 1024) std::abort();  // the relay checked it
    std::vector<uint8_t> quote(5000, 0);
    quote[0] = 4;
    return quote;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The ring hands the handler an aligned private copy of at most one slot's payload.
  alignas(8) static uint8_t copy[pv::proxy::kMaxMessageSize];
  if (size > sizeof(copy)) size = sizeof(copy);
  std::memcpy(copy, data, size);

  static NullSink sink;
  static pv::agent::DeviceBus bus = pv::agent::MakeStandardDeviceBus([](absl::string_view) {});
  pv::agent::ExitHandler handler(&bus, &sink);
  handler.set_negotiated(size > 0 && (data[0] & 1));
  static std::vector<uint8_t> shared(pv::proxy::kSharedSize, 0);
  static EchoBackend backend;
  if (size > 24 && (data[0] & 2)) {
    uint8_t* request = shared.data() + pv::proxy::BulkRequestOffset(0);
    std::memset(request, 0x81, 24 + 1024);
    std::memcpy(request, data + size - 24, 24);
    handler.set_attestation(
        pv::agent::AttestationRoute{shared.data(), shared.size(), &backend, nullptr});
  }
  std::vector<uint8_t> response = handler.Handle(copy, static_cast<uint32_t>(size), 0);
  if (!response.empty()) {
    flatbuffers::Verifier verifier(response.data(), response.size());
    if (!pv::proxy::fb::VerifyMessageBuffer(verifier)) std::abort();
  }

  pv::proxy::DecodedMessage decoded;
  if (pv::proxy::DecodeMessage(copy, static_cast<uint32_t>(size), sizeof(copy), &decoded) ==
      pv::proxy::DecodeStatus::kOk) {
    flatbuffers::Verifier verifier(copy, size);
    if (!pv::proxy::fb::VerifyMessageBuffer(verifier)) std::abort();
  }
  return 0;
}
