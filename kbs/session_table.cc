#include "kbs/session_table.h"

#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"
#include "kbs/base64.h"
#include "kbs/kbs_error.h"

namespace pv::kbs {
namespace {

absl::StatusOr<attest::Bytes> RandomBytes(size_t n) {
  attest::Bytes b(n);
  if (RAND_bytes(b.data(), static_cast<int>(n)) != 1) {
    return absl::InternalError("random generator failed");
  }
  return b;
}

}  // namespace

std::string SessionLabel(const std::string& id) {
  return id.substr(0, 8);
}

void SessionTable::SweepLocked(attest::UnixTime now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.expires <= now ? sessions_.erase(it) : std::next(it);
  }
}

absl::StatusOr<Challenge> SessionTable::Create(TeeKind tee, attest::UnixTime now) {
  auto id = RandomBytes(16);
  auto nonce = RandomBytes(32);
  if (!id.ok()) return id.status();
  if (!nonce.ok()) return nonce.status();
  Challenge c{attest::HexEncode(*id), Base64Encode(*nonce)};
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.size() >= limits_.max_sessions) SweepLocked(now);
  if (sessions_.size() >= limits_.max_sessions) {
    return KbsError(
        absl::StatusCode::kResourceExhausted, "SessionTableFull",
        absl::StrCat("all ", limits_.max_sessions, " sessions are in use; retry later"));
  }
  Session s;
  s.tee = tee;
  s.nonce = c.nonce;
  s.expires = now + limits_.challenge_ttl;
  sessions_.emplace(c.session_id, std::move(s));
  return c;
}

absl::StatusOr<std::pair<std::string, TeeKind>> SessionTable::TakeNonce(const std::string& id,
                                                                        attest::UnixTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return KbsError(absl::StatusCode::kUnauthenticated, "InvalidCookie",
                    "unknown kbs-session-id (never issued, or already expired and removed)");
  }
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return KbsError(absl::StatusCode::kUnauthenticated, "ExpiredCookie",
                    "the session's challenge expired; start again with /auth");
  }
  if (it->second.state != State::kChallenged) {
    return KbsError(absl::StatusCode::kUnauthenticated, "NonceUsed",
                    "this session's nonce was already used for an attestation; start again "
                    "with /auth");
  }
  it->second.state = State::kAttempted;
  return std::make_pair(it->second.nonce, it->second.tee);
}

void SessionTable::MarkAttested(const std::string& id, AttestedSession attested,
                                attest::UnixTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second.state = State::kAttested;
  it->second.attested = std::move(attested);
  it->second.expires = now + limits_.session_ttl;
}

absl::StatusOr<AttestedSession> SessionTable::GetAttested(const std::string& id,
                                                          attest::UnixTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return KbsError(absl::StatusCode::kUnauthenticated, "InvalidCookie", "unknown kbs-session-id");
  }
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return KbsError(absl::StatusCode::kUnauthenticated, "ExpiredCookie",
                    "the session expired; attest again");
  }
  if (it->second.state != State::kAttested) {
    return KbsError(absl::StatusCode::kUnauthenticated, "UnAuthenticatedCookie",
                    "the session has no verified attestation");
  }
  return it->second.attested;
}

size_t SessionTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace pv::kbs
