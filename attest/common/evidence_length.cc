#include "attest/common/evidence_length.h"

#include "absl/strings/str_cat.h"

namespace pv::attest {

std::string EvaluateEvidenceLength(const EvidenceLength& length, bool strict,
                                   absl::string_view what) {
  if (length.trailing > 0 && !length.trailing_all_zero) {
    return absl::StrCat("fail:trailing-data ", length.trailing, " byte(s) after the ",
                        length.structure_size, "-byte ", what,
                        " are not all zero (unsigned data appended to signed evidence)");
  }
  if (strict && length.trailing > 0) {
    return absl::StrCat("fail:trailing-bytes ", length.trailing, " zero byte(s) after the ",
                        length.structure_size, "-byte ", what, " (--strict-length)");
  }
  if (strict && length.inner_slack > 0) {
    return absl::StrCat("fail:signature-data-slack ", length.inner_slack,
                        " unused byte(s) inside the ", what,
                        "'s signature or certification data (declared sizes exceed their "
                        "content; --strict-length)");
  }
  return "ok";
}

}  // namespace pv::attest
