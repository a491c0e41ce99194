#include "kbs/protocol.h"

#include <regex>

#include "absl/strings/str_cat.h"
#include "kbs/byte_arrays.h"
#include "kbs/kbs_error.h"

namespace pv::kbs {
namespace {

using Json = nlohmann::json;
constexpr int kMaxDepth = 32;

absl::Status Invalid(const std::string& what, const std::string& detail) {
  return KbsError(absl::StatusCode::kInvalidArgument, "InvalidRequest",
                  absl::StrCat(what, ": ", detail));
}

}  // namespace

std::string TeeName(TeeKind tee) {
  switch (tee) {
    case TeeKind::kSnp:
      return "snp";
    case TeeKind::kTdx:
      return "tdx";
    case TeeKind::kSample:
      return "sample";
  }
  return "?";
}

absl::StatusOr<Json> ParseBoundedJson(std::string_view text, size_t max_bytes,
                                      const std::string& what) {
  if (text.size() > max_bytes) {
    return Invalid(what, absl::StrCat("body of ", text.size(), " bytes exceeds ", max_bytes));
  }
  if (!JsonDepthWithin(text, kMaxDepth)) return Invalid(what, "JSON nested too deeply");
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Invalid(what, "not valid JSON");
  return j;
}

absl::StatusOr<Json> ParseBoundedJsonWithByteArrays(std::string_view text, size_t max_bytes,
                                                    const std::string& what, ByteArrayScope scope) {
  if (text.size() > max_bytes) {
    return Invalid(what, absl::StrCat("body of ", text.size(), " bytes exceeds ", max_bytes));
  }
  bool too_deep = false;
  Json j = ParseJsonWithByteArrays(text, scope, kMaxDepth, &too_deep);
  if (too_deep) return Invalid(what, "JSON nested too deeply");
  if (j.is_discarded()) return Invalid(what, "not valid JSON");
  return j;
}

absl::StatusOr<AuthRequest> ParseAuthRequest(std::string_view body) {
  auto j = ParseBoundedJson(body, kMaxAuthBodyBytes, "auth request");
  if (!j.ok()) return j.status();
  if (!j->is_object()) return Invalid("auth request", "must be a JSON object");
  AuthRequest req;
  auto version = j->find("version");
  if (version == j->end() || !version->is_string()) {
    return Invalid("auth request", "\"version\" missing or not a string");
  }
  req.version = version->get<std::string>();
  // Protocol versions this KBS speaks: 0.1.0 .. 0.4.x (trustee's range).
  static const std::regex kVersion(R"(0\.[0-4]\.[0-9]{1,4})");
  if (req.version.size() > 16 || !std::regex_match(req.version, kVersion)) {
    return Invalid("auth request", "unsupported protocol \"version\" (0.1.0 .. 0.4.x)");
  }
  auto tee = j->find("tee");
  if (tee == j->end() || !tee->is_string()) return Invalid("auth request", "\"tee\" missing");
  if (*tee == "snp") {
    req.tee = TeeKind::kSnp;
  } else if (*tee == "tdx") {
    req.tee = TeeKind::kTdx;
  } else if (*tee == "sample") {
    req.tee = TeeKind::kSample;  // refused by the service unless allowed (kbs_service.cc)
  } else {
    return Invalid("auth request", "\"tee\" not supported by this KBS (snp, tdx, sample)");
  }
  return req;
}

absl::StatusOr<AttestRequest> ParseAttestRequest(std::string_view body) {
  // Evidence byte arrays arrive as binary values (byte_arrays.h); runtime-data is untouched.
  auto parsed = ParseBoundedJsonWithByteArrays(body, kMaxAttestBodyBytes, "attestation",
                                               ByteArrayScope::kTeeEvidence);
  if (!parsed.ok()) return parsed.status();
  Json* j = &*parsed;  // members are moved out of it, not copied
  if (!j->is_object()) return Invalid("attestation", "must be a JSON object");
  AttestRequest req;
  auto rd = j->find("runtime-data");
  if (rd == j->end() || !rd->is_object()) {
    return Invalid("attestation", "\"runtime-data\" missing or not an object");
  }
  auto nonce = rd->find("nonce");
  if (nonce == rd->end() || !nonce->is_string() ||
      nonce->get_ref<const std::string&>().size() > 512) {
    return Invalid("attestation", "\"runtime-data.nonce\" missing or not a string");
  }
  req.nonce = nonce->get<std::string>();
  auto pubkey = rd->find("tee-pubkey");
  if (pubkey == rd->end() || !pubkey->is_object()) {
    return Invalid("attestation", "\"runtime-data.tee-pubkey\" missing or not a JWK object");
  }
  req.tee_pubkey = *pubkey;
  req.runtime_data = std::move(*rd);
  auto evidence = j->find("tee-evidence");
  if (evidence == j->end() || !evidence->is_object()) {
    return Invalid("attestation", "\"tee-evidence\" missing or not an object");
  }
  auto primary = evidence->find("primary_evidence");
  if (primary == evidence->end()) {
    return Invalid("attestation", "\"tee-evidence.primary_evidence\" missing");
  }
  if (primary->is_string()) {
    auto inner = ParseBoundedJsonWithByteArrays(
        primary->get_ref<const std::string&>(), kMaxAttestBodyBytes,
        "tee-evidence.primary_evidence", ByteArrayScope::kWholeDocument);
    if (!inner.ok()) return inner.status();
    req.primary_evidence = std::move(*inner);
  } else {
    req.primary_evidence = std::move(*primary);
  }
  if (!req.primary_evidence.is_object()) {
    return Invalid("attestation", "\"tee-evidence.primary_evidence\" must be an object");
  }
  return req;
}

}  // namespace pv::kbs
