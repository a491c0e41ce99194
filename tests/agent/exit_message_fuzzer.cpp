// libFuzzer target: the agent's decoding and handling of one exit-proxy message, plus the
// firmware codec on the same bytes. Invariants: no crash / sanitizer report; every non-empty
// response verifies; the firmware decoder never accepts what the official Verifier rejects.
#include <cstdint>
#include <cstdlib>
#include <cstring>

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
