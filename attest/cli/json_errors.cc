#include "attest/cli/json_errors.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "attest/cli/commands.h"

namespace pv::attest::cli {

bool WantsJson(const std::vector<std::string>& argv) {
  return std::find(argv.begin(), argv.end(), "--json") != argv.end();
}

int ReportUnusable(absl::string_view message, bool json, std::ostream& out, std::ostream& err,
                   absl::string_view usage) {
  err << "pvattest: " << message << "\n" << usage;
  if (json) {
    nlohmann::ordered_json j;
    j["verdict"] = "error";
    j["exit_status"] = kExitUnusable;
    j["error"] = std::string(message);
    out << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  }
  return kExitUnusable;
}

}  // namespace pv::attest::cli
