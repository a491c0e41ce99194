// TEST ONLY — not the simulated secure processor (attest/simsp), and not a trust anchor of any
// kind: an AttestationBackend for the transport tests that answers guest messages with the
// OpenSSL envelope of openssl_snp_envelope.h and returns UNSIGNED, zero-signature reports,
// TDREPORTs and quote-shaped buffers. It exists so the paravisor's client, the exit-proxy bulk
// transport and the agent's relay can be tested end to end before the real simulated
// processor is integrated. It can also misbehave on purpose (tamper with a response, replay
// one, use a wrong sequence number) to prove the paravisor refuses and wipes its key.
#ifndef PV_TESTS_FWATTEST_TEST_ONLY_SECURE_PROCESSOR_H_
#define PV_TESTS_FWATTEST_TEST_ONLY_SECURE_PROCESSOR_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "attestation_backend.h"
#include "openssl_snp_envelope.h"

namespace pv::testing_attest {

enum class Misbehaviour {
  kNone,
  kFlipHeaderBit,   // a bit of the response's AAD (msg_type's neighbour at 0x3D)
  kFlipPayloadBit,  // a ciphertext bit
  kFlipTagBit,      // a tag bit
  kReplay,          // the previous response again (old sequence number)
  kWrongSeqno,      // a correctly sealed response with sequence number + 2
};

class TestOnlySecureProcessor : public agent::AttestationBackend {
 public:
  // Misbehaves on every response after the first `good_responses`.
  TestOnlySecureProcessor(Key key, Misbehaviour misbehaviour, int good_responses)
      : key_(key), misbehaviour_(misbehaviour), good_left_(good_responses) {}

  absl::StatusOr<std::vector<uint8_t>> GuestRequest(std::span<const uint8_t> message) override;
  absl::StatusOr<std::vector<uint8_t>> GetQuote(std::span<const uint8_t> tdreport) override;

  int requests() const { return requests_.load(); }
  int quotes() const { return quotes_.load(); }
  int refused() const { return refused_.load(); }
  std::vector<uint8_t> last_report_data();

 private:
  Key key_;
  Misbehaviour misbehaviour_;
  absl::Mutex mu_;
  int good_left_ ABSL_GUARDED_BY(mu_);
  uint64_t last_seqno_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<uint8_t> previous_response_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> last_report_data_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> requests_{0};
  std::atomic<int> quotes_{0};
  std::atomic<int> refused_{0};
};

}  // namespace pv::testing_attest

#endif  // PV_TESTS_FWATTEST_TEST_ONLY_SECURE_PROCESSOR_H_
