// Unusable input and usage errors (exit status 2), reported the same way by every subcommand:
// a line on stderr and, under --json, one JSON object on stdout, so a script that parses
// stdout always gets an object:
//   {"verdict": "error", "exit_status": 2, "error": "<message>"}
#ifndef PV_ATTEST_CLI_JSON_ERRORS_H_
#define PV_ATTEST_CLI_JSON_ERRORS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pv::attest::cli {

// Whether the raw arguments ask for JSON output (looked up before parsing, so that a usage
// error is still reported as JSON).
bool WantsJson(const std::vector<std::string>& argv);

// Prints `message` (and `usage`, when not empty) to `err`, the JSON object to `out` when
// `json`, and returns kExitUnusable.
int ReportUnusable(absl::string_view message, bool json, std::ostream& out, std::ostream& err,
                   absl::string_view usage = "");

}  // namespace pv::attest::cli

#endif  // PV_ATTEST_CLI_JSON_ERRORS_H_
