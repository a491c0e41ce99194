// A small command-line flag reader for pvattest: `--name value`, `--name=value` and boolean
// `--name`; repeated flags are kept in order. Unknown flags are errors (exit status 2).
// `--help` / `-h` is understood by every subcommand: when it appears anywhere, Parse succeeds
// with help() set and nothing else validated, so `pvattest <cmd> --help` always prints usage.
#ifndef PV_ATTEST_CLI_ARGS_H_
#define PV_ATTEST_CLI_ARGS_H_

#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pv::attest::cli {

class Args {
 public:
  // `value_flags` take a value; `bool_flags` do not. Positional arguments are collected.
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv,
                                    const std::set<std::string>& value_flags,
                                    const std::set<std::string>& bool_flags);

  std::optional<std::string> Get(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  const std::vector<std::string>& positional() const { return positional_; }
  bool help() const { return help_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

// The shared help convention: if `args` asked for help, prints `usage` to `out` and returns
// true (the caller exits 0).
bool PrintHelpIfRequested(const Args& args, const char* usage, std::ostream& out);

}  // namespace pv::attest::cli

#endif  // PV_ATTEST_CLI_ARGS_H_
