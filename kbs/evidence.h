// TEE evidence in trustee's JSON shapes, reduced to the raw bytes the attest/ verifiers take.
//   snp: {"attestation_report": <report>, "cert_chain": null | [{"cert_type": "VCEK" | "VLEK" |
//         "ASK" | "ASVK" | "ARK", "data": <certificate, DER or PEM>}, ...]}
//        <report> and "data" are byte strings, given either as JSON arrays of integers 0..255
//        (serde's encoding of byte vectors) or as base64 strings. The report is the raw
//        0x4A0-byte ATTESTATION_REPORT. (trustee's attester serializes the report through
//        virtee/sev's field-by-field serde form; that form is not accepted here.)
//   tdx: {"quote": "<base64 TDX quote>", "cc_eventlog": ..., "aa_eventlog": ...}
//        the event logs are not replayed: policy appraises the RTMR values directly.
#ifndef PV_KBS_EVIDENCE_H_
#define PV_KBS_EVIDENCE_H_

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"

namespace pv::kbs {

inline constexpr size_t kMaxCertificateBytes = 16 * 1024;
inline constexpr size_t kMaxCertChainEntries = 8;
inline constexpr size_t kMaxQuoteBytes = 64 * 1024;

struct SnpEvidence {
  attest::Bytes report;
  attest::Bytes vek;    // VCEK or VLEK, empty if the evidence carries none
  attest::Bytes chain;  // ASK/ASVK then ARK (concatenated DER, or PEM)
};

struct TdxEvidence {
  attest::Bytes quote;
};

absl::StatusOr<SnpEvidence> ParseSnpEvidence(const nlohmann::json& evidence);
absl::StatusOr<TdxEvidence> ParseTdxEvidence(const nlohmann::json& evidence);

// trustee's sample TEE: {"svn": "<string>", "report_data": "<base64 of the 48-byte binding, or
// of it zero-padded to 64>"} (unknown members ignored, as serde does). Proves nothing.
struct SampleEvidence {
  std::string svn;
  attest::Bytes report_data;  // 64 bytes, zero-padded
};
absl::StatusOr<SampleEvidence> ParseSampleEvidence(const nlohmann::json& evidence);

}  // namespace pv::kbs

#endif  // PV_KBS_EVIDENCE_H_
