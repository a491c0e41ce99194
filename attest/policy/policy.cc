#include "attest/policy/policy.h"

#include <set>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "attest/common/bytes.h"

namespace pv::attest::policy {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxPolicyBytes = size_t{1024} * 1024;
constexpr size_t kMaxListEntries = 4096;

// Typed accessors that never throw: each reports the key path and the expected type.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  absl::Status CheckKeys(const Json& obj, const std::set<std::string>& allowed) const {
    if (!obj.is_object()) return Error("", "must be a JSON object");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (allowed.count(it.key()) == 0) return Error(it.key(), "is not a known policy key");
    }
    return absl::OkStatus();
  }

  absl::Status Bool(const Json& obj, const char* key, bool* out) const {
    if (!obj.contains(key)) return absl::OkStatus();
    const Json& v = obj.at(key);
    if (!v.is_boolean()) return Error(key, "must be true or false");
    *out = v.get<bool>();
    return absl::OkStatus();
  }

  absl::Status Uint(const Json& obj, const char* key, uint64_t max,
                    std::optional<uint64_t>* out) const {
    if (!obj.contains(key)) return absl::OkStatus();
    const Json& v = obj.at(key);
    if (!v.is_number_unsigned() || v.get<uint64_t>() > max) {
      return Error(key, absl::StrCat("must be an integer 0..", max));
    }
    *out = v.get<uint64_t>();
    return absl::OkStatus();
  }

  absl::Status HexBytes(const Json& v, const std::string& key, size_t size, Bytes* out) const {
    if (!v.is_string()) return Error(key, "must be a hex string");
    auto bytes = HexDecode(v.get<std::string>());
    if (!bytes.ok()) return Error(key, std::string(bytes.status().message()));
    if (bytes->size() != size) {
      return Error(key, absl::StrCat("must be ", size, " bytes (", 2 * size, " hex digits), got ",
                                     bytes->size()));
    }
    *out = std::move(*bytes);
    return absl::OkStatus();
  }

  absl::Status OptionalHex(const Json& obj, const char* key, size_t size,
                           std::optional<Bytes>* out) const {
    if (!obj.contains(key)) return absl::OkStatus();
    Bytes b;
    if (absl::Status s = HexBytes(obj.at(key), key, size, &b); !s.ok()) return s;
    *out = std::move(b);
    return absl::OkStatus();
  }

  // "<hex>" (exact) or {"value": "<hex>", "mask": "<hex>"}.
  absl::Status Masked(const Json& obj, const char* key, size_t size,
                      std::optional<MaskedBytes>* out) const {
    if (!obj.contains(key)) return absl::OkStatus();
    const Json& v = obj.at(key);
    MaskedBytes m;
    if (v.is_string()) {
      if (absl::Status s = HexBytes(v, key, size, &m.value); !s.ok()) return s;
      m.mask.assign(size, 0xff);
    } else {
      Reader sub(absl::StrCat(path_, key, "."));
      if (absl::Status s = sub.CheckKeys(v, {"value", "mask"}); !s.ok()) return s;
      if (!v.contains("value") || !v.contains("mask")) {
        return Error(key, "needs both \"value\" and \"mask\"");
      }
      if (absl::Status s = sub.HexBytes(v.at("value"), "value", size, &m.value); !s.ok()) return s;
      if (absl::Status s = sub.HexBytes(v.at("mask"), "mask", size, &m.mask); !s.ok()) return s;
      for (size_t i = 0; i < size; ++i) {
        if ((m.value[i] & ~m.mask[i]) != 0) {
          return Error(key, absl::StrCat("value has bits outside mask at byte ", i,
                                         " (a requirement that can never match)"));
        }
      }
    }
    *out = std::move(m);
    return absl::OkStatus();
  }

  absl::Status HexList(const Json& obj, const char* key, size_t size,
                       std::vector<Bytes>* out) const {
    if (!obj.contains(key)) return absl::OkStatus();
    const Json& v = obj.at(key);
    if (!v.is_array() || v.size() > kMaxListEntries)
      return Error(key, "must be an array of hex strings");
    for (size_t i = 0; i < v.size(); ++i) {
      Bytes b;
      if (absl::Status s = HexBytes(v[i], absl::StrCat(key, "[", i, "]"), size, &b); !s.ok()) {
        return s;
      }
      out->push_back(std::move(b));
    }
    return absl::OkStatus();
  }

  absl::Status StringList(const Json& obj, const char* key, std::vector<std::string>* out) const {
    if (!obj.contains(key)) return absl::OkStatus();
    const Json& v = obj.at(key);
    if (!v.is_array() || v.size() > kMaxListEntries)
      return Error(key, "must be an array of strings");
    out->clear();
    for (const auto& e : v) {
      if (!e.is_string()) return Error(key, "must be an array of strings");
      out->push_back(e.get<std::string>());
    }
    return absl::OkStatus();
  }

  absl::Status Tcb(const Json& obj, const char* key, std::optional<MinimumTcb>* out) const {
    if (!obj.contains(key)) return absl::OkStatus();
    const Json& v = obj.at(key);
    Reader sub(absl::StrCat(path_, key, "."));
    if (absl::Status s = sub.CheckKeys(v, {"fmc", "bl", "tee", "snp", "ucode"}); !s.ok()) return s;
    MinimumTcb tcb;
    const std::pair<const char*, std::optional<uint8_t>*> parts[] = {{"fmc", &tcb.fmc},
                                                                     {"bl", &tcb.bl},
                                                                     {"tee", &tcb.tee},
                                                                     {"snp", &tcb.snp},
                                                                     {"ucode", &tcb.ucode}};
    for (const auto& [name, dest] : parts) {
      std::optional<uint64_t> value;
      if (absl::Status s = sub.Uint(v, name, 255, &value); !s.ok()) return s;
      if (value) *dest = static_cast<uint8_t>(*value);
    }
    *out = tcb;
    return absl::OkStatus();
  }

  absl::Status Error(const std::string& key, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat("policy: ", path_, key, " ", what));
  }

 private:
  std::string path_;
};

#define PV_RETURN_IF_ERROR(expr)                       \
  do {                                                 \
    if (absl::Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

absl::Status ParseSnp(const Json& j, SnpPolicy* p) {
  Reader r("snp.");
  PV_RETURN_IF_ERROR(
      r.CheckKeys(j, {"allow_debug", "allow_smt", "allow_migration_agent", "vmpl", "max_vmpl",
                      "minimum_tcb", "minimum_launch_tcb", "measurements", "host_data",
                      "report_data", "family_id", "image_id", "minimum_guest_svn", "id_key_digests",
                      "author_key_digests", "minimum_report_version", "require_low_s"}));
  PV_RETURN_IF_ERROR(r.Bool(j, "require_low_s", &p->require_low_s));
  PV_RETURN_IF_ERROR(r.Bool(j, "allow_debug", &p->allow_debug));
  PV_RETURN_IF_ERROR(r.Bool(j, "allow_smt", &p->allow_smt));
  PV_RETURN_IF_ERROR(r.Bool(j, "allow_migration_agent", &p->allow_migration_agent));
  std::optional<uint64_t> v;
  PV_RETURN_IF_ERROR(r.Uint(j, "vmpl", 3, &v));
  if (v) p->vmpl = static_cast<uint32_t>(*v);
  v.reset();
  PV_RETURN_IF_ERROR(r.Uint(j, "max_vmpl", 3, &v));
  if (v) p->max_vmpl = static_cast<uint32_t>(*v);
  v.reset();
  PV_RETURN_IF_ERROR(r.Uint(j, "minimum_guest_svn", UINT32_MAX, &v));
  if (v) p->minimum_guest_svn = static_cast<uint32_t>(*v);
  v.reset();
  PV_RETURN_IF_ERROR(r.Uint(j, "minimum_report_version", 5, &v));
  if (v) p->minimum_report_version = static_cast<uint32_t>(*v);
  PV_RETURN_IF_ERROR(r.Tcb(j, "minimum_tcb", &p->minimum_tcb));
  PV_RETURN_IF_ERROR(r.Tcb(j, "minimum_launch_tcb", &p->minimum_launch_tcb));
  PV_RETURN_IF_ERROR(r.HexList(j, "measurements", 48, &p->measurements));
  PV_RETURN_IF_ERROR(r.OptionalHex(j, "host_data", 32, &p->host_data));
  PV_RETURN_IF_ERROR(r.OptionalHex(j, "report_data", 64, &p->report_data));
  PV_RETURN_IF_ERROR(r.OptionalHex(j, "family_id", 16, &p->family_id));
  PV_RETURN_IF_ERROR(r.OptionalHex(j, "image_id", 16, &p->image_id));
  PV_RETURN_IF_ERROR(r.HexList(j, "id_key_digests", 48, &p->id_key_digests));
  PV_RETURN_IF_ERROR(r.HexList(j, "author_key_digests", 48, &p->author_key_digests));
  return absl::OkStatus();
}

absl::Status ParseTdx(const Json& j, TdxPolicy* p) {
  Reader r("tdx.");
  PV_RETURN_IF_ERROR(r.CheckKeys(
      j, {"allow_debug", "td_attributes", "mr_td", "rtmr0", "rtmr1", "rtmr2", "rtmr3",
          "mr_config_id", "mr_owner", "mr_owner_config", "report_data", "minimum_tee_tcb_svn",
          "accepted_tcb_statuses", "rejected_advisories", "allow_missing_crls",
          "allow_missing_qe_identity", "require_sept_ve_disable", "require_low_s"}));
  PV_RETURN_IF_ERROR(r.Bool(j, "require_sept_ve_disable", &p->require_sept_ve_disable));
  PV_RETURN_IF_ERROR(r.Bool(j, "require_low_s", &p->require_low_s));
  PV_RETURN_IF_ERROR(r.Bool(j, "allow_debug", &p->allow_debug));
  PV_RETURN_IF_ERROR(r.Masked(j, "td_attributes", 8, &p->td_attributes));
  PV_RETURN_IF_ERROR(r.HexList(j, "mr_td", 48, &p->mr_td));
  static constexpr const char* kRtmr[] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
  for (int i = 0; i < 4; ++i) PV_RETURN_IF_ERROR(r.OptionalHex(j, kRtmr[i], 48, &p->rtmr[i]));
  PV_RETURN_IF_ERROR(r.OptionalHex(j, "mr_config_id", 48, &p->mr_config_id));
  PV_RETURN_IF_ERROR(r.OptionalHex(j, "mr_owner", 48, &p->mr_owner));
  PV_RETURN_IF_ERROR(r.OptionalHex(j, "mr_owner_config", 48, &p->mr_owner_config));
  PV_RETURN_IF_ERROR(r.OptionalHex(j, "report_data", 64, &p->report_data));
  PV_RETURN_IF_ERROR(r.OptionalHex(j, "minimum_tee_tcb_svn", 16, &p->minimum_tee_tcb_svn));
  PV_RETURN_IF_ERROR(r.StringList(j, "accepted_tcb_statuses", &p->accepted_tcb_statuses));
  PV_RETURN_IF_ERROR(r.StringList(j, "rejected_advisories", &p->rejected_advisories));
  PV_RETURN_IF_ERROR(r.Bool(j, "allow_missing_crls", &p->allow_missing_crls));
  PV_RETURN_IF_ERROR(r.Bool(j, "allow_missing_qe_identity", &p->allow_missing_qe_identity));
  return absl::OkStatus();
}

}  // namespace

Policy DefaultPolicy() {
  return Policy{};
}

absl::StatusOr<Policy> ParsePolicyJson(absl::string_view text) {
  if (text.size() > kMaxPolicyBytes) return absl::InvalidArgumentError("policy: file too large");
  const Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("policy: not valid JSON");
  Reader top("");
  PV_RETURN_IF_ERROR(top.CheckKeys(j, {"snp", "tdx", "comment"}));
  Policy policy;
  if (j.contains("snp")) PV_RETURN_IF_ERROR(ParseSnp(j.at("snp"), &policy.snp));
  if (j.contains("tdx")) PV_RETURN_IF_ERROR(ParseTdx(j.at("tdx"), &policy.tdx));
  return policy;
}

absl::StatusOr<Policy> LoadPolicyFile(const std::string& path) {
  auto data = ReadFileBytes(path, kMaxPolicyBytes);
  if (!data.ok()) return data.status();
  auto policy =
      ParsePolicyJson(absl::string_view(reinterpret_cast<const char*>(data->data()), data->size()));
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", policy.status().message()));
  }
  return policy;
}

void PolicyDecision::Reject(absl::string_view token, absl::string_view detail) {
  if (verdict == "accept") verdict = absl::StrCat("reject:", token);
  reasons.push_back(absl::StrCat(token, ": ", detail));
}

void ApplyDecision(const PolicyDecision& decision, VerificationReport* report) {
  report->policy = decision.verdict;
  for (const auto& r : decision.reasons) report->reasons.push_back(absl::StrCat("policy: ", r));
  report->notes.insert(report->notes.end(), decision.notes.begin(), decision.notes.end());
}

}  // namespace pv::attest::policy
