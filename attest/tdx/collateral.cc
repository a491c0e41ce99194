#include "attest/tdx/collateral.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/openssl_util.h"
#include "attest/tdx/status_macros.h"

namespace pv::attest::tdx {
namespace {

using nlohmann::json;
constexpr int kMaxDepth = 64;

absl::Status Bad(absl::string_view doc, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(doc, ": ", what));
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Skips one JSON value starting at `pos` (already known to be valid JSON) and returns the end.
absl::StatusOr<size_t> SkipValue(absl::string_view s, size_t pos) {
  int depth = 0;
  bool in_string = false;
  size_t i = pos;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) return absl::InvalidArgumentError("JSON nested too deeply");
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;  // end of an enclosing container: a scalar ended here
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (c == ',' || IsSpace(c))) {
      return i;  // end of a number or literal
    }
  }
  if (depth != 0 || in_string) return absl::InvalidArgumentError("JSON value not terminated");
  return i;
}

size_t SkipSpace(absl::string_view s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i;
}

absl::StatusOr<std::string> HexField(const json& obj, const char* key, size_t bytes,
                                     absl::string_view doc) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return Bad(doc, absl::StrCat("missing string field \"", key, "\""));
  }
  const std::string& hex = it->get_ref<const std::string&>();
  PV_TDX_ASSIGN_OR_RETURN(std::string raw, HexDecode(hex, absl::StrCat(doc, ".", key)));
  if (raw.size() != bytes) {
    return Bad(doc,
               absl::StrCat("field \"", key, "\" is ", raw.size(), " bytes, expected ", bytes));
  }
  return raw;
}

absl::StatusOr<std::string> StringField(const json& obj, const char* key, absl::string_view doc) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return Bad(doc, absl::StrCat("missing string field \"", key, "\""));
  }
  return it->get<std::string>();
}

absl::StatusOr<int64_t> IntField(const json& obj, const char* key, int64_t max,
                                 absl::string_view doc) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) {
    return Bad(doc, absl::StrCat("missing integer field \"", key, "\""));
  }
  int64_t v = it->get<int64_t>();
  if (v < 0 || v > max) {
    return Bad(doc, absl::StrCat("field \"", key, "\" = ", v, " out of range 0..", max));
  }
  return v;
}

absl::StatusOr<time_t> TimeField(const json& obj, const char* key, absl::string_view doc) {
  PV_TDX_ASSIGN_OR_RETURN(std::string s, StringField(obj, key, doc));
  return ParseIsoTime(s, absl::StrCat(doc, ".", key));
}

// The TCB statuses PCS publishes; anything else is refused rather than passed on to policy.
absl::StatusOr<std::string> StatusField(const json& level, absl::string_view doc) {
  PV_TDX_ASSIGN_OR_RETURN(std::string status, StringField(level, "tcbStatus", doc));
  for (const char* known :
       {"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
        "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked"}) {
    if (status == known) return status;
  }
  return Bad(doc, absl::StrCat("unknown tcbStatus \"", status.substr(0, 64), "\""));
}

absl::StatusOr<std::vector<std::string>> Advisories(const json& level, absl::string_view doc) {
  std::vector<std::string> out;
  auto it = level.find("advisoryIDs");
  if (it == level.end()) return out;
  if (!it->is_array() || it->size() > 1024) return Bad(doc, "advisoryIDs is not a bounded array");
  for (const auto& a : *it) {
    if (!a.is_string()) return Bad(doc, "advisoryIDs entry is not a string");
    out.push_back(a.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::array<uint8_t, 16>> Components(const json& tcb, const char* key,
                                                   absl::string_view doc) {
  auto it = tcb.find(key);
  if (it == tcb.end() || !it->is_array() || it->size() != 16) {
    return Bad(doc, absl::StrCat("\"", key, "\" must be an array of 16 components"));
  }
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 16; ++i) {
    PV_TDX_ASSIGN_OR_RETURN(int64_t svn, IntField((*it)[i], "svn", 255, doc));
    out[i] = static_cast<uint8_t>(svn);
  }
  return out;
}

absl::StatusOr<IsvSvnTcbLevel> IsvSvnLevel(const json& level, absl::string_view doc) {
  if (!level.is_object()) return Bad(doc, "tcbLevels entry is not an object");
  IsvSvnTcbLevel out;
  auto tcb = level.find("tcb");
  if (tcb == level.end() || !tcb->is_object()) return Bad(doc, "tcbLevels entry without tcb");
  PV_TDX_ASSIGN_OR_RETURN(int64_t isvsvn, IntField(*tcb, "isvsvn", 0xffff, doc));
  out.isvsvn = static_cast<uint16_t>(isvsvn);
  PV_TDX_ASSIGN_OR_RETURN(out.tcb_date, StringField(level, "tcbDate", doc));
  PV_TDX_ASSIGN_OR_RETURN(out.status, StatusField(level, doc));
  PV_TDX_ASSIGN_OR_RETURN(out.advisory_ids, Advisories(level, doc));
  return out;
}

absl::StatusOr<std::vector<IsvSvnTcbLevel>> IsvSvnLevels(const json& obj, absl::string_view doc) {
  auto it = obj.find("tcbLevels");
  if (it == obj.end() || !it->is_array() || it->size() > kMaxTcbLevels) {
    return Bad(doc, "tcbLevels must be an array of at most 1024 levels");
  }
  std::vector<IsvSvnTcbLevel> out;
  for (const auto& l : *it) {
    PV_TDX_ASSIGN_OR_RETURN(IsvSvnTcbLevel level, IsvSvnLevel(l, doc));
    out.push_back(std::move(level));
  }
  return out;
}

// Splits a PCS document into the signed member and the signature, and parses the member.
absl::StatusOr<std::pair<SignedJson, json>> SplitSigned(absl::string_view document,
                                                        const char* member, absl::string_view doc) {
  if (document.size() > kMaxCollateralJsonSize) {
    return Bad(doc, absl::StrCat(document.size(), " bytes exceeds the limit"));
  }
  PV_TDX_ASSIGN_OR_RETURN(auto members, TopLevelMembers(document));
  SignedJson signed_json;
  bool have_member = false, have_sig = false;
  for (const auto& [key, raw] : members) {
    if (key == member) {
      signed_json.signed_bytes = raw;
      have_member = true;
    } else if (key == "signature") {
      json sig = json::parse(raw, nullptr, false);
      if (!sig.is_string()) return Bad(doc, "\"signature\" is not a string");
      PV_TDX_ASSIGN_OR_RETURN(signed_json.signature,
                              HexDecode(sig.get<std::string>(), absl::StrCat(doc, ".signature")));
      if (signed_json.signature.size() != 64) {
        return Bad(doc, absl::StrCat("signature is ", signed_json.signature.size(),
                                     " bytes, expected 64 (r||s)"));
      }
      have_sig = true;
    }
  }
  if (!have_member) return Bad(doc, absl::StrCat("no top-level \"", member, "\" member"));
  if (!have_sig) return Bad(doc, "no top-level \"signature\" member");
  json body = json::parse(signed_json.signed_bytes, nullptr, false);
  if (!body.is_object()) return Bad(doc, absl::StrCat("\"", member, "\" is not an object"));
  return std::make_pair(signed_json, std::move(body));
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, absl::string_view>>> TopLevelMembers(
    absl::string_view s) {
  if (s.size() > kMaxCollateralJsonSize) return absl::InvalidArgumentError("JSON too large");
  // Validate first so the scanner below only ever sees well-formed JSON.
  json whole = json::parse(s, nullptr, /*allow_exceptions=*/false);
  if (whole.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (!whole.is_object()) return absl::InvalidArgumentError("JSON document is not an object");
  std::vector<std::pair<std::string, absl::string_view>> out;
  size_t i = SkipSpace(s, 0);
  ++i;  // '{'
  while (true) {
    i = SkipSpace(s, i);
    if (i >= s.size()) return absl::InvalidArgumentError("unterminated object");
    if (s[i] == '}') break;
    if (s[i] == ',') {
      ++i;
      continue;
    }
    if (s[i] != '"') return absl::InvalidArgumentError("expected a member name");
    PV_TDX_ASSIGN_OR_RETURN(size_t key_end, SkipValue(s, i));
    std::string key(s.substr(i + 1, key_end - i - 2));
    i = SkipSpace(s, key_end);
    if (i >= s.size() || s[i] != ':') return absl::InvalidArgumentError("expected ':'");
    i = SkipSpace(s, i + 1);
    PV_TDX_ASSIGN_OR_RETURN(size_t value_end, SkipValue(s, i));
    for (const auto& m : out) {
      if (m.first == key) {
        return absl::InvalidArgumentError(absl::StrCat("duplicate member \"", key, "\""));
      }
    }
    out.emplace_back(std::move(key), s.substr(i, value_end - i));
    i = value_end;
  }
  return out;
}

absl::StatusOr<ParsedTcbInfo> ParseTcbInfoDocument(absl::string_view document) {
  constexpr absl::string_view kDoc = "TCB info";
  PV_TDX_ASSIGN_OR_RETURN(auto split, SplitSigned(document, "tcbInfo", kDoc));
  const json& t = split.second;
  ParsedTcbInfo out;
  out.signed_json = split.first;
  TcbInfo& info = out.info;
  PV_TDX_ASSIGN_OR_RETURN(info.id, StringField(t, "id", kDoc));
  PV_TDX_ASSIGN_OR_RETURN(int64_t version, IntField(t, "version", 1000, kDoc));
  info.version = static_cast<int>(version);
  if (info.id != "TDX" || info.version != 3) {
    return Bad(kDoc, absl::StrCat("id/version = ", info.id, "/", info.version,
                                  ", expected TDX/3 (a TDX TCB info)"));
  }
  PV_TDX_ASSIGN_OR_RETURN(info.issue_date, TimeField(t, "issueDate", kDoc));
  PV_TDX_ASSIGN_OR_RETURN(info.next_update, TimeField(t, "nextUpdate", kDoc));
  PV_TDX_ASSIGN_OR_RETURN(info.fmspc, HexField(t, "fmspc", 6, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(info.pceid, HexField(t, "pceId", 2, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(int64_t tcb_type, IntField(t, "tcbType", 1000, kDoc));
  info.tcb_type = static_cast<int>(tcb_type);
  if (info.tcb_type != 0) {
    // Type 0 is the only defined layout (16 SGX + 16 TDX components compared one by one).
    return Bad(kDoc, absl::StrCat("tcbType = ", info.tcb_type, ", only 0 is supported"));
  }
  PV_TDX_ASSIGN_OR_RETURN(info.tcb_evaluation_data_number,
                          IntField(t, "tcbEvaluationDataNumber", INT64_MAX, kDoc));
  auto module = t.find("tdxModule");
  if (module == t.end() || !module->is_object()) return Bad(kDoc, "missing tdxModule object");
  PV_TDX_ASSIGN_OR_RETURN(info.module_mrsigner, HexField(*module, "mrsigner", 48, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(info.module_attributes, HexField(*module, "attributes", 8, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(info.module_attributes_mask,
                          HexField(*module, "attributesMask", 8, kDoc));
  auto identities = t.find("tdxModuleIdentities");
  if (identities != t.end()) {
    if (!identities->is_array() || identities->size() > 256) {
      return Bad(kDoc, "tdxModuleIdentities must be an array of at most 256 entries");
    }
    for (const auto& m : *identities) {
      if (!m.is_object()) return Bad(kDoc, "tdxModuleIdentities entry is not an object");
      TdxModuleIdentity id;
      PV_TDX_ASSIGN_OR_RETURN(id.id, StringField(m, "id", kDoc));
      PV_TDX_ASSIGN_OR_RETURN(id.mrsigner, HexField(m, "mrsigner", 48, kDoc));
      PV_TDX_ASSIGN_OR_RETURN(id.attributes, HexField(m, "attributes", 8, kDoc));
      PV_TDX_ASSIGN_OR_RETURN(id.attributes_mask, HexField(m, "attributesMask", 8, kDoc));
      PV_TDX_ASSIGN_OR_RETURN(id.levels, IsvSvnLevels(m, kDoc));
      info.module_identities.push_back(std::move(id));
    }
  }
  auto levels = t.find("tcbLevels");
  if (levels == t.end() || !levels->is_array() || levels->size() > kMaxTcbLevels) {
    return Bad(kDoc, "tcbLevels must be an array of at most 1024 levels");
  }
  for (const auto& l : *levels) {
    if (!l.is_object()) return Bad(kDoc, "tcbLevels entry is not an object");
    auto tcb = l.find("tcb");
    if (tcb == l.end() || !tcb->is_object()) return Bad(kDoc, "tcbLevels entry without tcb");
    PlatformTcbLevel level;
    PV_TDX_ASSIGN_OR_RETURN(level.sgx_components, Components(*tcb, "sgxtcbcomponents", kDoc));
    PV_TDX_ASSIGN_OR_RETURN(level.tdx_components, Components(*tcb, "tdxtcbcomponents", kDoc));
    PV_TDX_ASSIGN_OR_RETURN(int64_t pcesvn, IntField(*tcb, "pcesvn", 0xffff, kDoc));
    level.pcesvn = static_cast<uint16_t>(pcesvn);
    PV_TDX_ASSIGN_OR_RETURN(level.tcb_date, StringField(l, "tcbDate", kDoc));
    PV_TDX_ASSIGN_OR_RETURN(level.status, StatusField(l, kDoc));
    PV_TDX_ASSIGN_OR_RETURN(level.advisory_ids, Advisories(l, kDoc));
    info.levels.push_back(std::move(level));
  }
  return out;
}

absl::StatusOr<ParsedQeIdentity> ParseQeIdentityDocument(absl::string_view document) {
  constexpr absl::string_view kDoc = "QE identity";
  PV_TDX_ASSIGN_OR_RETURN(auto split, SplitSigned(document, "enclaveIdentity", kDoc));
  const json& e = split.second;
  ParsedQeIdentity out;
  out.signed_json = split.first;
  QeIdentity& id = out.identity;
  PV_TDX_ASSIGN_OR_RETURN(id.id, StringField(e, "id", kDoc));
  PV_TDX_ASSIGN_OR_RETURN(int64_t version, IntField(e, "version", 1000, kDoc));
  id.version = static_cast<int>(version);
  if (id.id != "TD_QE" || id.version != 2) {
    return Bad(kDoc, absl::StrCat("id/version = ", id.id, "/", id.version,
                                  ", expected TD_QE/2 (the TDX quoting enclave)"));
  }
  PV_TDX_ASSIGN_OR_RETURN(id.issue_date, TimeField(e, "issueDate", kDoc));
  PV_TDX_ASSIGN_OR_RETURN(id.next_update, TimeField(e, "nextUpdate", kDoc));
  PV_TDX_ASSIGN_OR_RETURN(id.tcb_evaluation_data_number,
                          IntField(e, "tcbEvaluationDataNumber", INT64_MAX, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(id.miscselect, HexField(e, "miscselect", 4, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(id.miscselect_mask, HexField(e, "miscselectMask", 4, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(id.attributes, HexField(e, "attributes", 16, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(id.attributes_mask, HexField(e, "attributesMask", 16, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(id.mrsigner, HexField(e, "mrsigner", 32, kDoc));
  PV_TDX_ASSIGN_OR_RETURN(int64_t prodid, IntField(e, "isvprodid", 0xffff, kDoc));
  id.isvprodid = static_cast<uint16_t>(prodid);
  PV_TDX_ASSIGN_OR_RETURN(id.levels, IsvSvnLevels(e, kDoc));
  return out;
}

}  // namespace pv::attest::tdx
