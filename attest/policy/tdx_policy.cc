#include "attest/policy/tdx_policy.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace pv::attest::policy {
namespace {

std::optional<std::string> Field(const VerificationReport& report, absl::string_view name) {
  for (const auto& [key, value] : report.fields) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// Field values are lowercase hex; compare case-insensitively to be safe.
bool HexEquals(const std::string& seen, const Bytes& want) {
  return absl::AsciiStrToLower(seen) == HexEncode(want);
}

}  // namespace

PolicyDecision EvaluateTdxPolicy(const TdxPolicy& p, const VerificationReport& report) {
  PolicyDecision d;
  const auto require = [&](const char* name) -> std::optional<std::string> {
    auto v = Field(report, name);
    if (!v) d.Reject(name, "the quote did not provide this field");
    return v;
  };

  if (!p.allow_debug) {
    if (auto debug = require("TD_ATTRIBUTES.DEBUG"); debug && *debug != "false") {
      d.Reject("TD_ATTRIBUTES.DEBUG",
               absl::StrCat("TD_ATTRIBUTES ", Field(report, "TD_ATTRIBUTES").value_or("?"),
                            " has DEBUG (bit 0) set; the appraisal policy forbids debug TDs"));
    }
  }
  if (p.td_attributes) {
    if (auto v = require("TD_ATTRIBUTES")) {
      const MaskedBytes& want = *p.td_attributes;
      auto seen = HexDecode(*v);
      bool ok = seen.ok() && seen->size() == want.value.size();
      for (size_t i = 0; ok && i < want.value.size(); ++i) {
        ok = ((*seen)[i] & want.mask[i]) == want.value[i];
      }
      if (!ok) {
        d.Reject("TD_ATTRIBUTES", absl::StrCat("is ", *v, ", expected ", HexEncode(want.value),
                                               " under mask ", HexEncode(want.mask)));
      }
    }
  }
  if (p.require_sept_ve_disable) {
    if (auto v = require("TD_ATTRIBUTES.SEPT_VE_DISABLE"); v && *v != "true") {
      d.Reject("TD_ATTRIBUTES.SEPT_VE_DISABLE",
               absl::StrCat("TD_ATTRIBUTES ", Field(report, "TD_ATTRIBUTES").value_or("?"),
                            " has SEPT_VE_DISABLE (bit 28) clear; the policy requires it"));
    }
  } else if (auto v = Field(report, "TD_ATTRIBUTES.SEPT_VE_DISABLE"); v && *v != "true") {
    d.notes.push_back(
        "TD_ATTRIBUTES.SEPT_VE_DISABLE (bit 28) is clear and the policy does not require it "
        "(tdx.require_sept_ve_disable)");
  }
  if (p.require_low_s) {
    for (const char* name : {"QUOTE_SIGNATURE.LOW_S", "QE_REPORT_SIGNATURE.LOW_S"}) {
      if (auto v = require(name); v && *v != "true") {
        d.Reject(name,
                 "S is above half the P-256 order (a malleated or non-canonical "
                 "signature); the policy requires low-S");
      }
    }
  }
  if (!p.mr_td.empty()) {
    if (auto v = require("MRTD")) {
      const bool ok = std::any_of(p.mr_td.begin(), p.mr_td.end(),
                                  [&](const Bytes& b) { return HexEquals(*v, b); });
      if (!ok) {
        std::vector<std::string> allowed;
        for (const auto& b : p.mr_td) allowed.push_back(HexEncode(b));
        d.Reject("MRTD", absl::StrCat("is ", *v, ", not one of: ", absl::StrJoin(allowed, ", ")));
      }
    }
  }
  const auto exact = [&](const char* name, const std::optional<Bytes>& want) {
    if (!want) return;
    if (auto v = require(name); v && !HexEquals(*v, *want)) {
      d.Reject(name, absl::StrCat("is ", *v, ", expected ", HexEncode(*want)));
    }
  };
  static constexpr const char* kRtmr[] = {"RTMR0", "RTMR1", "RTMR2", "RTMR3"};
  for (int i = 0; i < 4; ++i) exact(kRtmr[i], p.rtmr[i]);
  exact("MRCONFIGID", p.mr_config_id);
  exact("MROWNER", p.mr_owner);
  exact("MROWNERCONFIG", p.mr_owner_config);
  exact("REPORT_DATA", p.report_data);
  if (p.minimum_tee_tcb_svn) {
    if (auto v = require("TEE_TCB_SVN")) {
      auto seen = HexDecode(*v);
      if (!seen.ok() || seen->size() != p.minimum_tee_tcb_svn->size()) {
        d.Reject("TEE_TCB_SVN", absl::StrCat("is '", *v, "', not 16 bytes of hex"));
      } else {
        std::string short_by;
        for (size_t i = 0; i < seen->size(); ++i) {
          if ((*seen)[i] < (*p.minimum_tee_tcb_svn)[i]) {
            absl::StrAppend(&short_by, short_by.empty() ? "" : ", ", "[", i, "] ", (*seen)[i],
                            " < ", (*p.minimum_tee_tcb_svn)[i]);
          }
        }
        if (!short_by.empty()) {
          d.Reject("TEE_TCB_SVN", absl::StrCat(*v, " is below the minimum ",
                                               HexEncode(*p.minimum_tee_tcb_svn), ": ", short_by));
        }
      }
    }
  }
  // The TCB status itself is judged by the verifier's `tcb` check (it receives the policy's
  // accepted list); the policy records the same verdict so `policy` explains a rejection alone.
  if (auto status = Field(report, "TCB_STATUS")) {
    if (std::find(p.accepted_tcb_statuses.begin(), p.accepted_tcb_statuses.end(), *status) ==
        p.accepted_tcb_statuses.end()) {
      d.Reject("TCB_STATUS", absl::StrCat(*status, " is not an accepted status (accepted: ",
                                          absl::StrJoin(p.accepted_tcb_statuses, ", "), ")"));
    }
  }
  if (!p.rejected_advisories.empty()) {
    if (auto ids = Field(report, "ADVISORY_IDS")) {
      std::vector<std::string> hits;
      for (absl::string_view id : absl::StrSplit(*ids, ',', absl::SkipEmpty())) {
        const std::string trimmed(absl::StripAsciiWhitespace(id));
        if (std::find(p.rejected_advisories.begin(), p.rejected_advisories.end(), trimmed) !=
            p.rejected_advisories.end()) {
          hits.push_back(trimmed);
        }
      }
      if (!hits.empty()) {
        d.Reject("ADVISORY_IDS",
                 absl::StrCat("rejected advisories present: ", absl::StrJoin(hits, ", ")));
      }
    }
  }
  return d;
}

}  // namespace pv::attest::policy
