// libFuzzer target: the simulated AMD-SP's guest-message handling on hostile bytes. Byte 0
// picks the shape: odd = the input is the raw message (header checks, sizes, tag), even = the
// rest is header fields + payload that the fuzzer seals with the known VMPCK, so the parsing
// behind the authentication (report requests, sequence numbers, VMPL/key selection) is reached.
// Bit 1 of byte 0 picks the TDX personality (TD report requests, RTMR extensions).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "attest/simsp/guest_request_server.h"

namespace {
namespace ss = pv::attest::simsp;

const ss::SimulatedAmdSp* Sp() {
  static std::unique_ptr<ss::SimulatedAmdSp> sp = [] {
    auto created = ss::SimulatedAmdSp::LoadOrCreate(PV_FUZZ_SIMSP_DIR);
    if (!created.ok()) __builtin_trap();
    return *std::move(created);
  }();
  return sp.get();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::array<ss::Vmpck, 4> keys;
  for (int i = 0; i < 4; ++i) keys[i].fill(static_cast<uint8_t>(0x20 + i));
  if (size == 0) return 0;
  ss::PartitionIdentity id;
  id.tdx_personality = (data[0] & 2) != 0;
  ss::GuestRequestServer server(Sp(), id, keys);
  if (data[0] & 1) {
    (void)server.Handle(std::span<const uint8_t>(data + 1, size - 1));
    return 0;
  }
  // Shaped: [vmpck, type, seqno byte, repeat count] then the payload.
  if (size < 5) return 0;
  const unsigned vmpck = data[1] & 3;
  const uint8_t type = data[2];
  const uint64_t seqno = data[3] % 4;
  const unsigned repeat = data[4] % 3 + 1;
  std::span<const uint8_t> payload(data + 5, std::min<size_t>(size - 5, 4000));
  uint64_t n = seqno;
  for (unsigned i = 0; i < repeat; ++i, n += 2) {
    (void)server.Handle(ss::BuildGuestMessage(keys[vmpck], vmpck, n, type, payload));
  }
  return 0;
}
