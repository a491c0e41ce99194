#include "paths.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace pv::agent {

namespace {
std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}
}  // namespace

std::string DefaultSocketPath() {
  if (std::string env = Env("PV_AGENT_SOCKET"); !env.empty()) return env;
  if (::geteuid() == 0) return "/run/pv-agent/pv-agent.sock";
  if (std::string runtime = Env("XDG_RUNTIME_DIR"); !runtime.empty()) {
    return absl::StrCat(runtime, "/pv-agent.sock");
  }
  return absl::StrCat("/tmp/pv-agent-", ::geteuid(), ".sock");
}

std::string DefaultStateDir() {
  if (std::string env = Env("PV_AGENT_STATE_DIR"); !env.empty()) return env;
  if (::geteuid() == 0) return "/var/lib/pv-agent";
  if (std::string state = Env("XDG_STATE_HOME"); !state.empty()) {
    return absl::StrCat(state, "/pv-agent");
  }
  return absl::StrCat(Env("HOME"), "/.local/state/pv-agent");
}

}  // namespace pv::agent
