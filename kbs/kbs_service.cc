#include "kbs/kbs_service.h"

#include <openssl/crypto.h>

#include <optional>
#include "absl/strings/str_cat.h"

#include "attest/common/bytes.h"
#include "attest/common/cert_util.h"
#include "kbs/jwe.h"
#include "kbs/jwt.h"
#include "kbs/kbs_error.h"
#include "kbs/protocol.h"
#include "kbs/runtime_data.h"

namespace pv::kbs {
namespace {

using Json = nlohmann::json;

absl::StatusOr<std::shared_ptr<const KbsPolicy>> LoadPolicy(const Store& store) {
  auto text = store.GetPolicy();
  if (absl::IsNotFound(text.status())) return std::make_shared<const KbsPolicy>();
  if (!text.ok()) return text.status();
  auto policy = ParseKbsPolicy(*text);
  if (!policy.ok()) return policy.status();
  return std::make_shared<const KbsPolicy>(std::move(*policy));
}

// The token's claim naming the session it was issued to: a digest, so the token (which the
// attester may hand on) does not carry the cookie.
std::string SessionBinding(const std::string& session_id) {
  const auto d = attest::Sha256(
      attest::ByteSpan(reinterpret_cast<const uint8_t*>(session_id.data()), session_id.size()));
  return attest::HexEncode(attest::ByteSpan(d.data(), 16));
}

}  // namespace

absl::StatusOr<std::unique_ptr<KbsService>> KbsService::Create(Store store,
                                                               const ServiceConfig& config,
                                                               DecisionLog* log) {
  auto signer = TokenSigner::LoadOrCreate(store.TokenKeyPath());
  if (!signer.ok()) return signer.status();
  auto appraiser = Appraiser::Create(config.appraiser);
  if (!appraiser.ok()) return appraiser.status();
  auto policy = LoadPolicy(store);
  if (!policy.ok()) return policy.status();
  return std::unique_ptr<KbsService>(new KbsService(std::move(store), config, log,
                                                    std::move(*signer), std::move(*appraiser),
                                                    std::move(*policy)));
}

KbsService::KbsService(Store store, const ServiceConfig& config, DecisionLog* log,
                       TokenSigner signer, std::unique_ptr<Appraiser> appraiser,
                       std::shared_ptr<const KbsPolicy> policy)
    : store_(std::move(store)),
      config_(config),
      log_(log),
      signer_(std::move(signer)),
      appraiser_(std::move(appraiser)),
      sessions_(config.limits),
      policy_(std::move(policy)) {}

std::shared_ptr<const KbsPolicy> KbsService::policy() const {
  std::lock_guard<std::mutex> lock(policy_mu_);
  return policy_;
}

absl::Status KbsService::SetPolicy(const std::string& text) {
  auto parsed = ParseKbsPolicy(text);
  if (!parsed.ok()) return parsed.status();
  if (absl::Status s = store_.PutPolicy(text); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(policy_mu_);
  policy_ = std::make_shared<const KbsPolicy>(std::move(*parsed));
  return absl::OkStatus();
}

absl::StatusOr<AuthResult> KbsService::Auth(std::string_view body) {
  auto req = ParseAuthRequest(body);
  if (!req.ok()) {
    log_->Record("auth", "deny", std::string(req.status().message()));
    return req.status();
  }
  if (req->tee == TeeKind::kSample && !config_.appraiser.allow_sample_tee) {
    absl::Status refused =
        KbsError(absl::StatusCode::kInvalidArgument, "InvalidRequest",
                 "tee \"sample\" (trustee's test TEE: its evidence proves nothing) is not "
                 "enabled on this KBS (pv-kbs --allow-sample-tee)");
    log_->Record("auth", "deny", std::string(refused.message()), {{"tee", "sample"}});
    return refused;
  }
  auto challenge = sessions_.Create(req->tee, attest::CurrentUnixTime());
  if (!challenge.ok()) {
    log_->Record("auth", "deny", std::string(challenge.status().message()));
    return challenge.status();
  }
  log_->Record("auth", "allow", "challenge issued",
               {{"session", SessionLabel(challenge->session_id)},
                {"tee", TeeName(req->tee)},
                {"version", req->version}});
  return AuthResult{challenge->session_id,
                    Json{{"nonce", challenge->nonce}, {"extra-params", Json::object()}}};
}

absl::StatusOr<Json> KbsService::Attest(const std::string& session_id, std::string_view body) {
  const attest::UnixTime now = attest::CurrentUnixTime();
  Json details = {{"session", SessionLabel(session_id)}};
  auto deny = [&](const absl::Status& s) {
    log_->Record("attest", "deny", std::string(s.message()), details);
    return s;
  };
  if (session_id.empty()) {
    return deny(KbsError(absl::StatusCode::kUnauthenticated, "MissingCookie",
                         "no kbs-session-id cookie; call /auth first"));
  }
  // The nonce is consumed before anything else: a session gets exactly one attempt.
  auto nonce = sessions_.TakeNonce(session_id, now);
  if (!nonce.ok()) return deny(nonce.status());
  const TeeKind tee = nonce->second;
  details["tee"] = TeeName(tee);
  auto req = ParseAttestRequest(body);
  if (!req.ok()) return deny(req.status());
  if (req->nonce != nonce->first) {
    return deny(KbsError(absl::StatusCode::kUnauthenticated, "VerificationFailed",
                         "runtime-data nonce is not this session's challenge nonce"));
  }
  auto pubkey = ParseTeePublicKey(req->tee_pubkey);
  if (!pubkey.ok()) {
    return deny(
        KbsError(absl::StatusCode::kInvalidArgument, "InvalidRequest", pubkey.status().message()));
  }
  auto binding = RuntimeDataBinding(req->runtime_data);
  if (!binding.ok()) {
    return deny(KbsError(absl::StatusCode::kInvalidArgument, "InvalidRequest",
                         absl::StrCat("runtime-data: ", binding.status().message())));
  }
  const auto policy_now = policy();
  Appraisal appraisal =
      appraiser_->Appraise(tee, req->primary_evidence, *binding, policy_now->attestation, now);
  details["checks"] = appraisal.checks;
  if (!appraisal.measurement.empty()) details["measurement"] = appraisal.measurement;
  if (appraisal.non_vendor_root) details["root"] = "configured-non-vendor-root";
  if (appraisal.unverified_sample) {
    details["warning"] = "sample TEE: accepted without verification (--allow-sample-tee)";
  }
  if (!appraisal.accepted) {
    return deny(KbsError(absl::StatusCode::kUnauthenticated, "VerificationFailed",
                         absl::StrCat("attestation rejected: ", appraisal.reason)));
  }
  Json claims = {{"iss", "pv-kbs"},
                 {"iat", now},
                 {"exp", now + config_.token_ttl},
                 {"tee", TeeName(tee)},
                 {"tee-pubkey", pubkey->jwk},
                 {"evaluation",
                  {{"verdict", appraisal.unverified_sample ? "accept-unverified-sample" : "accept"},
                   {"checks", appraisal.checks}}},
                 {"measurement", appraisal.measurement},
                 {"sid", SessionBinding(session_id)}};
  auto token = signer_.Sign(claims);
  if (!token.ok()) return deny(token.status());
  AttestedSession attested{tee, appraisal.measurement,
                           std::make_shared<const TeePublicKey>(std::move(*pubkey))};
  sessions_.MarkAttested(session_id, std::move(attested), now);
  log_->Record("attest", "allow",
               appraisal.unverified_sample
                   ? "sample TEE: report_data matches the binding; NOTHING VERIFIED"
                   : "evidence verified and policy accepted",
               details);
  return Json{{"token", *token}};
}

absl::StatusOr<AttestedSession> KbsService::SessionFromToken(const std::string& token,
                                                             const std::string& session_id,
                                                             attest::UnixTime now) {
  auto invalid = [](const std::string& why) {
    return KbsError(absl::StatusCode::kUnauthenticated, "InvalidToken",
                    absl::StrCat("attestation token: ", why));
  };
  auto jwt = ParseCompactJwt(token);
  if (!jwt.ok()) return jwt.status();
  if (absl::Status s = signer_.Verify(*jwt); !s.ok()) return s;
  // Signed by this KBS: the claims are its own, checked anyway (they decide a release).
  const Json& c = jwt->claims;
  auto integer = [&c](const char* name) -> std::optional<int64_t> {
    auto it = c.find(name);
    if (it == c.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<int64_t>();
  };
  const auto exp = integer("exp"), iat = integer("iat");
  if (c.value("iss", "") != "pv-kbs" || !exp || !iat) return invalid("iss, iat or exp missing");
  if (now >= *exp) {
    return KbsError(absl::StatusCode::kUnauthenticated, "ExpiredToken",
                    absl::StrCat("attestation token expired ", now - *exp, " s ago"));
  }
  if (*iat > now + 60) return invalid("issued in the future");
  AttestedSession out;
  const std::string tee = c.value("tee", "");
  std::string want_verdict = "accept";
  if (tee == "snp") {
    out.tee = TeeKind::kSnp;
  } else if (tee == "tdx") {
    out.tee = TeeKind::kTdx;
  } else if (tee == "sample" && config_.appraiser.allow_sample_tee) {
    out.tee = TeeKind::kSample;
    want_verdict = "accept-unverified-sample";
  } else {
    return invalid("tee not accepted by this KBS");
  }
  const auto evaluation = c.find("evaluation");
  if (evaluation == c.end() || !evaluation->is_object() ||
      evaluation->value("verdict", "") != want_verdict) {
    return invalid("no accepting verdict");
  }
  const auto measurement = c.find("measurement");
  const auto pubkey_jwk = c.find("tee-pubkey");
  if (measurement == c.end() || !measurement->is_string() || pubkey_jwk == c.end()) {
    return invalid("measurement or tee-pubkey missing");
  }
  out.measurement = measurement->get<std::string>();
  auto pubkey = ParseTeePublicKey(*pubkey_jwk);
  if (!pubkey.ok()) return invalid(std::string(pubkey.status().message()));
  if (!session_id.empty()) {
    // A cookie as well: the token must be this session's.
    if (c.value("sid", "") != SessionBinding(session_id)) {
      return invalid("issued to another session than the cookie's");
    }
    auto session = sessions_.GetAttested(session_id, now);
    if (session.ok() && session->tee_pubkey->jwk != pubkey->jwk) {
      return invalid("tee-pubkey differs from the session's");
    }
  }
  out.tee_pubkey = std::make_shared<const TeePublicKey>(std::move(*pubkey));
  return out;
}

absl::StatusOr<Json> KbsService::Resource(const std::string& session_id, const std::string& repo,
                                          const std::string& type, const std::string& tag) {
  return Resource(session_id, "", repo, type, tag);
}

absl::StatusOr<Json> KbsService::Resource(const std::string& session_id,
                                          const std::string& bearer_token, const std::string& repo,
                                          const std::string& type, const std::string& tag) {
  const attest::UnixTime now = attest::CurrentUnixTime();
  Json details = {{"session", SessionLabel(session_id)}};
  auto deny = [&](const absl::Status& s) {
    log_->Record("resource", "deny", std::string(s.message()), details);
    return s;
  };
  auto path = ParseResourcePath(repo, type, tag);
  if (!path.ok()) return deny(path.status());
  details["resource"] = path->ToString();
  if (session_id.empty() && bearer_token.empty()) {
    return deny(KbsError(absl::StatusCode::kUnauthenticated, "MissingCookie",
                         "no kbs-session-id cookie and no bearer token; attest first"));
  }
  if (!bearer_token.empty()) details["credential"] = "bearer-token";
  auto session = bearer_token.empty() ? sessions_.GetAttested(session_id, now)
                                      : SessionFromToken(bearer_token, session_id, now);
  if (!session.ok()) return deny(session.status());
  details["tee"] = TeeName(session->tee);
  details["measurement"] = session->measurement;
  std::string reason;
  if (!ResourceAllowed(*policy(), path->repo, path->type, path->tag, session->tee,
                       session->measurement, &reason)) {
    return deny(KbsError(absl::StatusCode::kPermissionDenied, "PolicyDeny", reason));
  }
  auto value = store_.GetResource(*path);
  if (!value.ok()) return deny(value.status());
  auto jwe = EncryptJwe(*session->tee_pubkey, *value);
  OPENSSL_cleanse(value->data(), value->size());
  if (!jwe.ok()) return deny(jwe.status());
  log_->Record("resource", "allow", "released as JWE to the session's tee-pubkey", details);
  return jwe;
}

}  // namespace pv::kbs
