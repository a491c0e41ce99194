#include "attest/policy/snp_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace pv::attest::policy {
namespace {

template <size_t N>
bool Equal(const std::array<uint8_t, N>& seen, const Bytes& expected) {
  return expected.size() == N && std::equal(seen.begin(), seen.end(), expected.begin());
}

template <size_t N>
bool InList(const std::array<uint8_t, N>& seen, const std::vector<Bytes>& list) {
  return std::any_of(list.begin(), list.end(), [&](const Bytes& b) { return Equal(seen, b); });
}

std::string HexList(const std::vector<Bytes>& list) {
  std::vector<std::string> hex;
  hex.reserve(list.size());
  for (const auto& b : list) hex.push_back(HexEncode(b));
  return absl::StrJoin(hex, ", ");
}

// Component-wise minimum; returns the components that are short ("bl 2 < 3").
std::string TcbShortfall(uint64_t tcb, snp::TcbLayout layout, const MinimumTcb& min) {
  const snp::TcbParts parts = snp::DecodeTcb(tcb, layout);
  std::string out;
  const auto cmp = [&out](const char* name, std::optional<uint8_t> seen,
                          std::optional<uint8_t> want) {
    if (want && seen.value_or(0) < *want) {
      absl::StrAppend(&out, out.empty() ? "" : ", ", name, " ", seen.value_or(0), " < ", *want);
    }
  };
  cmp("fmc", parts.fmc, min.fmc);
  cmp("bl", parts.bl, min.bl);
  cmp("tee", parts.tee, min.tee);
  cmp("snp", parts.snp, min.snp);
  cmp("ucode", parts.ucode, min.ucode);
  return out;
}

}  // namespace

PolicyDecision EvaluateSnpPolicy(const SnpPolicy& p, const snp::SnpReport& r,
                                 snp::TcbLayout layout) {
  PolicyDecision d;
  if (r.debug() && !p.allow_debug) {
    d.Reject("debug-allowed", absl::StrFormat("guest POLICY 0x%016x has DEBUG (bit 19) set; "
                                              "the appraisal policy forbids debug guests",
                                              r.policy));
  }
  if (r.migrate_ma() && !p.allow_migration_agent) {
    d.Reject("migration-agent-allowed",
             "guest POLICY.MIGRATE_MA is 1; the appraisal policy forbids a migration agent");
  }
  if (r.smt_allowed() && !p.allow_smt) {
    d.Reject("smt-allowed", "guest POLICY.SMT is 1; the appraisal policy forbids SMT");
  }
  if (p.vmpl && r.vmpl != *p.vmpl) {
    d.Reject("vmpl", absl::StrCat("VMPL is ", r.vmpl, ", expected ", *p.vmpl));
  }
  if (p.max_vmpl && r.vmpl > *p.max_vmpl) {
    d.Reject("vmpl", absl::StrCat("VMPL is ", r.vmpl, ", at most ", *p.max_vmpl, " allowed"));
  }
  if (!p.vmpl && !p.max_vmpl) {
    d.notes.push_back(absl::StrCat("VMPL ", r.vmpl,
                                   " accepted: the policy sets neither snp.vmpl nor snp.max_vmpl, "
                                   "so a report requested from any VMPL (0-3) passes"));
  }
  if (p.require_low_s && !snp::SignatureIsLowS(r)) {
    d.Reject("high-s-signature",
             "SIGNATURE.S is above half the P-384 order (a malleated or non-canonical signature); "
             "the policy requires low-S");
  }
  if (r.version < p.minimum_report_version) {
    d.Reject("report-version",
             absl::StrCat("report VERSION is ", r.version, ", minimum ", p.minimum_report_version));
  }
  if (p.minimum_tcb) {
    const std::string short_by = TcbShortfall(r.reported_tcb, layout, *p.minimum_tcb);
    if (!short_by.empty()) {
      d.Reject("tcb-below-minimum", absl::StrCat("REPORTED_TCB: ", short_by));
    }
  }
  if (p.minimum_launch_tcb) {
    const std::string short_by = TcbShortfall(r.launch_tcb, layout, *p.minimum_launch_tcb);
    if (!short_by.empty()) {
      d.Reject("launch-tcb-below-minimum", absl::StrCat("LAUNCH_TCB: ", short_by));
    }
  }
  if (!p.measurements.empty() && !InList(r.measurement, p.measurements)) {
    d.Reject("measurement-not-allowed", absl::StrCat("MEASUREMENT ", HexEncode(r.measurement),
                                                     " is not one of: ", HexList(p.measurements)));
  }
  const auto exact = [&d](const char* token, const char* field, const auto& seen,
                          const std::optional<Bytes>& want) {
    if (want && !Equal(seen, *want)) {
      d.Reject(token,
               absl::StrCat(field, " is ", HexEncode(seen), ", expected ", HexEncode(*want)));
    }
  };
  exact("host-data-mismatch", "HOST_DATA", r.host_data, p.host_data);
  exact("report-data-mismatch", "REPORT_DATA", r.report_data, p.report_data);
  exact("family-id-mismatch", "FAMILY_ID", r.family_id, p.family_id);
  exact("image-id-mismatch", "IMAGE_ID", r.image_id, p.image_id);
  if (r.guest_svn < p.minimum_guest_svn) {
    d.Reject("guest-svn-below-minimum",
             absl::StrCat("GUEST_SVN is ", r.guest_svn, ", minimum ", p.minimum_guest_svn));
  }
  if (!p.id_key_digests.empty() && !InList(r.id_key_digest, p.id_key_digests)) {
    d.Reject("id-key-digest-not-allowed",
             absl::StrCat("ID_KEY_DIGEST ", HexEncode(r.id_key_digest),
                          " is not one of: ", HexList(p.id_key_digests)));
  }
  if (!p.author_key_digests.empty() &&
      (!r.author_key_en() || !InList(r.author_key_digest, p.author_key_digests))) {
    d.Reject("author-key-digest-not-allowed",
             absl::StrCat("AUTHOR_KEY_DIGEST ", HexEncode(r.author_key_digest),
                          r.author_key_en() ? "" : " (AUTHOR_KEY_EN=0)",
                          " is not one of: ", HexList(p.author_key_digests)));
  }
  return d;
}

}  // namespace pv::attest::policy
