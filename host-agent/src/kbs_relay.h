// The host half of the paravisor's key-broker traffic (exit_proxy.fbs AttestationKind KbsRelay,
// framing in protocol/attest/kbs_relay.h): each frame the paravisor sends is one HTTP request
// to the partition's KBS (spec attestation.kbs_url), or a request for the platform's
// certificate table; the answer goes back framed. The agent is untrusted and only relays: what
// it carries is evidence (signed by the secure processor, bound to the paravisor's ephemeral
// key) and JWE ciphertext wrapped to that key, so it learns no secret and cannot forge one.
//
// It also keeps what it saw in clear for `pvctl get` (AttestationStatus): the step reached,
// the KBS's error type/detail for a refusal, and the attestation token's claims (verdict,
// checks, measurement) — the token is not secret, it only says what the KBS verified.
//
// TEST FAULT INJECTOR (agent option --test-fault-kbs-relay, off by default): flips one bit of
// the evidence, of the runtime data or of the JWE ciphertext as it passes, so tests can show
// that a tampering host gets nothing released and the guest gets nothing. Never enable it for
// real partitions; the agent logs a warning whenever it is active.
#ifndef PV_HOST_AGENT_KBS_RELAY_H_
#define PV_HOST_AGENT_KBS_RELAY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "kbs_relay_channel.h"
#include "pv/v1/partition_manager.pb.h"

namespace pv::agent {

// kEvidenceOfOtherPartition: the relay keeps the first attest request it carries (from any
// partition of this agent) and puts that partition's evidence into every later partition's
// attest request, the "evidence from another partition" a host could try.
enum class KbsRelayFault {
  kNone,
  kFlipEvidence,
  kFlipRuntimeData,
  kFlipJwe,
  kEvidenceOfOtherPartition,
};

// "flip-evidence" | "flip-runtime-data" | "flip-jwe" | "other-partition-evidence" (or "none").
absl::StatusOr<KbsRelayFault> ParseKbsRelayFault(const std::string& name);
const char* KbsRelayFaultName(KbsRelayFault fault);

// The spec's attestation section: URL, resources (validated as the KBS accepts them).
absl::Status ValidateAttestationSpec(const pv::v1::PartitionSpec& spec);
// The paravisor command line as the measured launch writes (and measures) it: the spec's own
// firmware_cmdline, then `tee=tdx` for a tdx partition whose command line has no `tee=` word,
// then the resource list (`kbs=<r1>,<r2>`) when the spec has an attestation section.
std::string EffectiveFirmwareCmdline(const pv::v1::PartitionSpec& spec);
// The value of the command line's first `tee=` word, if any.
std::optional<std::string> FirmwareTeeWord(const std::string& cmdline);

class HttpKbsRelay : public KbsRelayChannel {
 public:
  // `certificate_dir`: where the platform's VCEK (vcek.der) and ASK (first certificate of
  // cert_chain.pem) are (the simulated secure processor's export directory).
  HttpKbsRelay(std::string partition, const std::string& kbs_url, std::string certificate_dir,
               KbsRelayFault fault);

  absl::StatusOr<std::vector<uint8_t>> Exchange(std::span<const uint8_t> frame,
                                                size_t max_answer) override;
  pv::v1::AttestationStatus status() const;

 private:
  std::vector<uint8_t> Certificates(uint32_t* http_status);
  void Observe(const std::string& path, int http_status, const std::string& body);

  const std::string partition_;
  const std::string host_;
  const int port_;
  const std::string certificate_dir_;
  const KbsRelayFault fault_;
  mutable absl::Mutex mu_;
  pv::v1::AttestationStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_KBS_RELAY_H_
