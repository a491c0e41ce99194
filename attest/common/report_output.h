// Rendering of a VerificationReport: the `--json` object of `pvattest verify` and the text
// form. JSON shape (one object):
//   {"tee": "sev-snp"|"tdx", "version": N,
//    "<check>": "<value>" for every check (manifest vocabulary; "advisories" as a JSON array),
//    "checks": [{"name", "value", "passed"}] in the order they ran,
//    "policy": "accept"|"reject:<reason>", "verdict": "accept"|"reject",
//    "reasons": [...], "fields": {"NAME": "value", ...}}
#ifndef PV_ATTEST_COMMON_REPORT_OUTPUT_H_
#define PV_ATTEST_COMMON_REPORT_OUTPUT_H_

#include <string>

#include <nlohmann/json.hpp>

#include "attest/common/verification_report.h"

namespace pv::attest {

std::string TeeName(Tee tee);
nlohmann::ordered_json ReportToJson(const VerificationReport& report);
// The JSON text. Strings that are not valid UTF-8 (they can come from hostile certificates)
// are written with U+FFFD replacements instead of failing.
std::string ReportToJsonText(const VerificationReport& report, int indent = 2);
std::string ReportToText(const VerificationReport& report);

}  // namespace pv::attest

#endif  // PV_ATTEST_COMMON_REPORT_OUTPUT_H_
