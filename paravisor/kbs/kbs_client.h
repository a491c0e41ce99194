// The paravisor's key-broker client: fetches the partition's secrets from a trustee-protocol KBS
// (kbs/, pv-kbs) through the untrusted host agent, and hands each to the guest once (guest ABI
// v3, GET_SECRET).
//
// Configuration (paravisor command line, part of the measured launch): `kbs=<repo>/<type>/<tag>`
// [,...] — the resources, in the order of the partition spec's attestation.resources; the guest
// asks for them by index. Without `kbs=` the client is not configured and GET_SECRET answers
// "unavailable". The KBS URL is the agent's business (it relays; the paravisor trusts nothing
// the host says).
//
// Flow (run once, at the first timer tick after the guest started, so the guest sees
// "not yet attested" until it is done):
//   certificates  the platform's VCEK/ASK from the host (untrusted, verified by the KBS)
//   POST /kbs/v0/auth {"version","tee":"snp"|"tdx","extra-params"} -> cookie + nonce
//   tee key       a fresh P-256 key pair from the CTR_DRBG (kbs/tee_key.h)
//   evidence      REPORT_DATA = SHA-384 of the runtime data {"nonce","tee-pubkey"} as written
//                 (JCS canonical: sorted keys, no whitespace), zero-padded to 64 bytes
//   POST /kbs/v0/attest {"runtime-data","tee-evidence"} -> token (the KBS verified)
//   GET /kbs/v0/resource/<path> per resource -> JWE, opened here (kbs/jwe.h)
// Then the private key is wiped. Every answer is copied out of shared memory once (the proxy
// client does that) and parsed with bounds (kbs/json.h). Nothing secret is ever logged.
#ifndef PV_KBS_CLIENT_KBS_CLIENT_H_
#define PV_KBS_CLIENT_KBS_CLIENT_H_

#include "lib/cmdline.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::kbs_client {

inline constexpr u32 kMaxResources = 4;
inline constexpr usize kMaxResourcePath = 3 * 128 + 2;

// Why a secret is not there (GET_SECRET's RDX on failure; guest/abi.h documents them).
enum class SecretStatus : u8 {
  kReady,           // released by the KBS and not yet handed over
  kNotYetAttested,  // the flow has not finished
  kDenied,          // the KBS refused (reason: DenyReason)
  kUnavailable,  // no KBS configured or reachable, or its answer was unusable (UnavailableReason)
  kTaken,        // handed over already (and wiped)
  kNoSuchResource,  // index beyond the configured resources
};

enum DenyReason : u32 {
  kDenyVerificationFailed = 1,  // /attest refused: evidence or attestation policy (401)
  kDenyPolicy = 2,              // /resource refused: the policy does not grant it (403)
  kDenyNotFound = 3,            // /resource: no such resource (404)
  kDenyOther = 4,               // any other refusal of the KBS
};

enum UnavailableReason : u32 {
  kUnavailableNotConfigured = 1,  // no kbs= on the command line
  kUnavailableUnreachable = 2,    // the agent could not reach the KBS
  kUnavailableRelay = 3,          // no relay (no agent, no bulk areas) or it failed
  kUnavailableBadAnswer = 4,      // malformed answer, or a JWE that does not open
  kUnavailableNoEvidence = 5,     // this partition cannot produce evidence
};

struct SecretView {
  SecretStatus status = SecretStatus::kNotYetAttested;
  u32 reason = 0;
  const u8* data = nullptr;
  usize len = 0;
};

Status InitKbsClient(const Cmdline& cmdline);
// Runs the flow if it is due (once). Called at timer ticks.
void PollKbsClient();
SecretView PeekSecret(u32 index);
// Wipes resource `index`'s plaintext (non-elidable) and marks it handed over.
void TakeSecret(u32 index);

// Checks one `<repo>/<type>/<tag>` path as the KBS accepts it: three components of
// [A-Za-z0-9][A-Za-z0-9._-]{0,127}.
bool ValidResourcePath(const char* path, usize len);

}  // namespace pv::kbs_client

#endif  // PV_KBS_CLIENT_KBS_CLIENT_H_
