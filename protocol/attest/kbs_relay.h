// Framing of the paravisor <-> host-agent key-broker relay (exit_proxy.fbs AttestationKind
// KbsRelay): what the paravisor's KBS client writes into its bulk request area and what the
// agent writes back into its bulk response area. Freestanding (firmware and host).
//
// The agent relays HTTP to the partition's KBS (spec attestation.kbs_url) and back: it sees
// the request path, the session cookie, the evidence and the JWE ciphertext, never a secret.
// Both sides treat the other's frame as hostile: the header is copied and checked against the
// frame's length and these limits before anything else is read.
//
//   request:  KbsRelayRequest, then path (path_len bytes), cookie value (cookie_len), body
//   response: KbsRelayResponse, then cookie value (cookie_len, from Set-Cookie), body
#ifndef PV_PROTOCOL_ATTEST_KBS_RELAY_H_
#define PV_PROTOCOL_ATTEST_KBS_RELAY_H_

#include <stddef.h>
#include <stdint.h>

namespace pv::attest_proto {

inline constexpr uint32_t kKbsRelayMagic = 0x524b5650;  // "PVKR"

enum KbsRelayOp : uint8_t {
  kKbsOpGet = 1,   // HTTP GET path
  kKbsOpPost = 2,  // HTTP POST path, body = JSON
  // The platform's certificate table (on SEV-SNP hardware the host supplies it with the
  // extended guest request; here the simulated secure processor's VCEK and ASK). Untrusted:
  // the KBS verifies the chain against its configured roots. Answer body: u32 VCEK length,
  // VCEK (DER), u32 ASK length, ASK (DER), little-endian.
  kKbsOpCertificates = 3,
};

inline constexpr uint32_t kKbsMaxPath = 256;    // /kbs/v0/resource/<repo>/<type>/<tag>
inline constexpr uint32_t kKbsMaxCookie = 256;  // kbs-session-id=<hex> fits easily
inline constexpr uint32_t kKbsMaxResponseBody = 24576;

struct KbsRelayRequest {
  uint32_t magic;  // kKbsRelayMagic
  uint8_t op;      // KbsRelayOp
  uint8_t reserved[3];
  uint32_t path_len;
  uint32_t cookie_len;
  uint32_t body_len;
  uint32_t reserved2;
};
static_assert(sizeof(KbsRelayRequest) == 24);

// http_status 0: the KBS could not be reached (no kbs_url, connection refused, timeout); the
// body then is the agent's reason as text.
struct KbsRelayResponse {
  uint32_t magic;  // kKbsRelayMagic
  uint32_t http_status;
  uint32_t cookie_len;
  uint32_t body_len;
};
static_assert(sizeof(KbsRelayResponse) == 16);

}  // namespace pv::attest_proto

#endif  // PV_PROTOCOL_ATTEST_KBS_RELAY_H_
