#include "kbs/kbs_policy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "attest/common/bytes.h"

namespace pv::kbs {
namespace {

using Json = nlohmann::json;
constexpr size_t kMaxPolicyBytes = size_t{1024} * 1024;
constexpr size_t kMaxGrants = 4096;

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("kbs policy: ", what));
}

absl::StatusOr<ResourceGrant> ParseGrant(const Json& g, size_t index) {
  const std::string where = absl::StrCat("resources[", index, "]");
  if (!g.is_object()) return Bad(where + " must be an object");
  for (auto it = g.begin(); it != g.end(); ++it) {
    if (it.key() != "path" && it.key() != "tees" && it.key() != "measurements") {
      return Bad(absl::StrCat(where, ".", it.key().substr(0, 32), " is not a known key"));
    }
  }
  ResourceGrant grant;
  auto path = g.find("path");
  if (path == g.end() || !path->is_string()) return Bad(where + ".path missing");
  std::vector<std::string> parts = absl::StrSplit(path->get<std::string>(), '/');
  if (parts.size() != 3 ||
      std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
    return Bad(where + ".path must be repo/type/tag");
  }
  grant.repo = parts[0];
  grant.type = parts[1];
  grant.tag = parts[2];
  if (auto tees = g.find("tees"); tees != g.end()) {
    if (!tees->is_array()) return Bad(where + ".tees must be an array");
    grant.snp = grant.tdx = false;
    for (const auto& t : *tees) {
      if (t == "snp") {
        grant.snp = true;
      } else if (t == "tdx") {
        grant.tdx = true;
      } else if (t == "sample") {
        grant.sample = true;
      } else {
        return Bad(where + ".tees entries must be \"snp\", \"tdx\" or \"sample\"");
      }
    }
  }
  if (auto m = g.find("measurements"); m != g.end()) {
    if (!m->is_array() || m->size() > kMaxGrants)
      return Bad(where + ".measurements must be an array");
    for (const auto& v : *m) {
      if (!v.is_string()) return Bad(where + ".measurements entries must be hex strings");
      auto bytes = attest::HexDecode(v.get<std::string>());
      if (!bytes.ok() || bytes->size() != 48) {
        return Bad(where + ".measurements entries must be 48 bytes (96 hex digits)");
      }
      grant.measurements.push_back(attest::HexEncode(*bytes));
    }
  }
  return grant;
}

bool Matches(const std::string& pattern, const std::string& value) {
  return pattern == "*" || pattern == value;
}

}  // namespace

absl::StatusOr<KbsPolicy> ParseKbsPolicy(std::string_view text) {
  auto parsed = ParseBoundedJson(text, kMaxPolicyBytes, "kbs policy");
  if (!parsed.ok()) return Bad(std::string(parsed.status().message()));
  const Json& j = *parsed;
  if (!j.is_object()) return Bad("not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "attestation" && it.key() != "resources") {
      return Bad(absl::StrCat(it.key().substr(0, 32), " is not a known key"));
    }
  }
  KbsPolicy policy;
  if (auto a = j.find("attestation"); a != j.end()) {
    auto parsed = attest::policy::ParsePolicyJson(a->dump());
    if (!parsed.ok()) return Bad(std::string(parsed.status().message()));
    policy.attestation = std::move(*parsed);
  }
  if (auto r = j.find("resources"); r != j.end()) {
    if (!r->is_array() || r->size() > kMaxGrants) return Bad("resources must be an array");
    for (size_t i = 0; i < r->size(); ++i) {
      auto grant = ParseGrant((*r)[i], i);
      if (!grant.ok()) return grant.status();
      policy.grants.push_back(std::move(*grant));
    }
  }
  return policy;
}

bool ResourceAllowed(const KbsPolicy& policy, const std::string& repo, const std::string& type,
                     const std::string& tag, TeeKind tee, const std::string& measurement,
                     std::string* reason) {
  bool path_matched = false, tee_matched = false;
  for (const auto& g : policy.grants) {
    if (!Matches(g.repo, repo) || !Matches(g.type, type) || !Matches(g.tag, tag)) continue;
    path_matched = true;
    const bool granted = tee == TeeKind::kSnp ? g.snp : tee == TeeKind::kTdx ? g.tdx : g.sample;
    if (!granted) continue;
    tee_matched = true;
    if (g.measurements.empty() || std::find(g.measurements.begin(), g.measurements.end(),
                                            measurement) != g.measurements.end()) {
      return true;
    }
  }
  if (!path_matched) {
    *reason = "resource-not-granted: no policy grant names this resource";
  } else if (!tee_matched) {
    *reason = absl::StrCat("resource-not-granted: not granted to tee ", TeeName(tee));
  } else {
    *reason = absl::StrCat("resource-not-granted: measurement ", measurement,
                           " is not in the grant's list");
  }
  return false;
}

}  // namespace pv::kbs
