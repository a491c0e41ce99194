// One rule for the length of attestation evidence, shared by the SEV-SNP and TDX verifiers.
//
// Evidence ends where its own structure says: an SNP report is 0x4A0 bytes, a TDX quote ends
// after header, body, signature_data_length and signature_data. Bytes after that ("trailing
// bytes") are covered by no signature and are never interpreted. The `length` check:
//   default           trailing bytes pass only when every one is zero (fixed-size buffers pad
//                     evidence with zeros); any non-zero trailing byte fails
//                     "fail:trailing-data".
//   strict (--strict-length, the conformance suite's default)
//                     nothing may trail ("fail:trailing-bytes"), and a TDX quote may not carry
//                     unused bytes inside signature_data or its certification data
//                     ("fail:signature-data-slack"), so equal evidence has equal bytes and
//                     de-duplication by hash is sound.
// The counts are also reported as fields (TRAILING_BYTES, ...) and by `pvattest inspect`.
#ifndef PV_ATTEST_COMMON_EVIDENCE_LENGTH_H_
#define PV_ATTEST_COMMON_EVIDENCE_LENGTH_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace pv::attest {

struct EvidenceLength {
  size_t structure_size = 0;  // bytes the structure itself spans
  size_t trailing = 0;        // bytes after it
  bool trailing_all_zero = true;
  size_t inner_slack = 0;  // unused bytes inside declared sub-structures (TDX only)
};

// The `length` check value: "ok" or "fail:<token> <detail>"; `what` names the evidence.
std::string EvaluateEvidenceLength(const EvidenceLength& length, bool strict,
                                   absl::string_view what);

}  // namespace pv::attest

#endif  // PV_ATTEST_COMMON_EVIDENCE_LENGTH_H_
