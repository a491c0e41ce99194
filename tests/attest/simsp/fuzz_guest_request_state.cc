// libFuzzer target: the persisted simulated secure-processor state file
// (attest/simsp/guest_request_state.h) on hostile bytes. Byte 0 picks the shape: odd = the rest
// as the file; even = the rest with a valid magic, version and checksum fixed up, so the field
// checks behind the checksum are reached. Whatever parses must re-encode to the same bytes.
#include <openssl/sha.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "attest/simsp/guest_request_state.h"

namespace ss = pv::attest::simsp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> file(data + 1, data + size);
  if ((data[0] & 1) == 0) {
    file.resize(ss::kGuestRequestStateSize, 0);
    std::memcpy(file.data(), "PVSIMSP\0\x01\0\0\0", 12);
    SHA256(file.data(), ss::kGuestRequestStateSize - SHA256_DIGEST_LENGTH,
           file.data() + ss::kGuestRequestStateSize - SHA256_DIGEST_LENGTH);
  }
  auto parsed = ss::ParseGuestRequestState(file);
  if (parsed.ok() && ss::EncodeGuestRequestState(*parsed) != file) __builtin_trap();
  return 0;
}
