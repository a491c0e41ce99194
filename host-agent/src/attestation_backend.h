// What the host agent does with a partition's attestation traffic. The agent is untrusted: it
// only ever carries ciphertext (SNP guest messages encrypted with a VMPCK) and signed evidence
// between the paravisor and a secure processor. On this project's emulated platforms the secure
// processor is the *simulated* one (attest/simsp); on SNP/TDX hardware the paravisor talks to
// the real one through the GHCB / TDCALL and this interface is not on the path.
#ifndef PV_HOST_AGENT_ATTESTATION_BACKEND_H_
#define PV_HOST_AGENT_ATTESTATION_BACKEND_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace pv::agent {

class AttestationBackend {
 public:
  virtual ~AttestationBackend() = default;

  // One guest-request message (protocol/attest/snp_guest_msg.h: 96-byte header + ciphertext,
  // at most one 4 KiB page) as the paravisor wrote it; returns the response message the secure
  // processor produced (also at most one page). The backend, not the relay, checks it.
  virtual absl::StatusOr<std::vector<uint8_t>> GuestRequest(std::span<const uint8_t> message) = 0;

  // TDX GetQuote: a 1024-byte TDREPORT in, a quote (with its PCK certificate chain) out.
  virtual absl::StatusOr<std::vector<uint8_t>> GetQuote(std::span<const uint8_t> tdreport) = 0;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_ATTESTATION_BACKEND_H_
