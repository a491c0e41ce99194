// An independent implementation of the SEV-SNP guest-message envelope with OpenSSL (EVP
// AES-256-GCM), written from the ABI's byte offsets rather than the firmware's header struct, so
// the firmware codec is checked against a second reading of the specification. Test code only:
// the cross-check of paravisor/attest/guest_msg.cpp and the test-only secure processor.
#ifndef PV_TESTS_FWATTEST_OPENSSL_SNP_ENVELOPE_H_
#define PV_TESTS_FWATTEST_OPENSSL_SNP_ENVELOPE_H_

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace pv::testing_attest {

using Key = std::array<uint8_t, 32>;

struct OpenedMessage {
  uint64_t seqno = 0;
  uint8_t type = 0;
  uint8_t vmpck = 0;
  std::vector<uint8_t> payload;
};

// Header at 0x00 (tag 0..15), seqno 0x20, algo 0x30 = 1, hdr_version 0x31 = 1, hdr_sz 0x32 = 96,
// type 0x34, msg_version 0x35 = 1, msg_sz 0x36, vmpck 0x3C; AAD 0x30..0x5F; IV = seqno LE, 0^4.
std::vector<uint8_t> SealMessage(const Key& key, uint64_t seqno, uint8_t type, uint8_t vmpck,
                                 std::span<const uint8_t> payload);

// Checks the fixed header fields and the tag; returns what was inside.
absl::StatusOr<OpenedMessage> OpenMessage(const Key& key, std::span<const uint8_t> message);

}  // namespace pv::testing_attest

#endif  // PV_TESTS_FWATTEST_OPENSSL_SNP_ENVELOPE_H_
