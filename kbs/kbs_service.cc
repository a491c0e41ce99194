#include "kbs/kbs_service.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "kbs/jwe.h"
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
                 {"measurement", appraisal.measurement}};
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

absl::StatusOr<Json> KbsService::Resource(const std::string& session_id, const std::string& repo,
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
  if (session_id.empty()) {
    return deny(KbsError(absl::StatusCode::kUnauthenticated, "MissingCookie",
                         "no kbs-session-id cookie; attest first"));
  }
  auto session = sessions_.GetAttested(session_id, now);
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
