// KBS sessions: one per /auth, identified by the `kbs-session-id` cookie (128 random bits),
// holding the challenge nonce (256 random bits). The table is bounded: when it is full, expired
// sessions are swept and, if none expired, new sessions are refused (503) rather than evicting
// live ones. Lifecycle:
//   challenged --(first /attest: the nonce is consumed, success or not)--> attested | failed
// A nonce is single-use and expires `challenge_ttl` after /auth; an attested session expires
// `session_ttl` after its attestation. Thread-safe.
#ifndef PV_KBS_SESSION_TABLE_H_
#define PV_KBS_SESSION_TABLE_H_

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "attest/common/time_util.h"
#include "kbs/jwk.h"
#include "kbs/protocol.h"

namespace pv::kbs {

struct SessionLimits {
  size_t max_sessions = 4096;
  attest::UnixTime challenge_ttl = 300;
  attest::UnixTime session_ttl = 600;
};

// What /resource needs from an attested session.
struct AttestedSession {
  TeeKind tee = TeeKind::kSnp;
  std::string measurement;
  std::shared_ptr<const TeePublicKey> tee_pubkey;
};

struct Challenge {
  std::string session_id;
  std::string nonce;
};

class SessionTable {
 public:
  explicit SessionTable(SessionLimits limits) : limits_(limits) {}

  absl::StatusOr<Challenge> Create(TeeKind tee, attest::UnixTime now);
  // Consumes the session's nonce for one attestation attempt; returns the nonce and TEE.
  // Fails (with the reason) if the session is unknown, expired, or its nonce was used.
  absl::StatusOr<std::pair<std::string, TeeKind>> TakeNonce(const std::string& id,
                                                            attest::UnixTime now);
  void MarkAttested(const std::string& id, AttestedSession attested, attest::UnixTime now);
  absl::StatusOr<AttestedSession> GetAttested(const std::string& id, attest::UnixTime now);

  size_t size() const;
  const SessionLimits& limits() const { return limits_; }

 private:
  enum class State { kChallenged, kAttempted, kAttested };
  struct Session {
    State state = State::kChallenged;
    TeeKind tee = TeeKind::kSnp;
    std::string nonce;
    attest::UnixTime expires = 0;
    AttestedSession attested;
  };
  void SweepLocked(attest::UnixTime now);

  SessionLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Session> sessions_;
};

// "a1b2c3d4…" – the first 8 hex digits of a session id, for logs (the id is a credential).
std::string SessionLabel(const std::string& id);

}  // namespace pv::kbs

#endif  // PV_KBS_SESSION_TABLE_H_
