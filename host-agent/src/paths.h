// Default locations of the agent's socket and state directory.
//   root:      /run/pv-agent/pv-agent.sock        /var/lib/pv-agent
//   non-root:  $XDG_RUNTIME_DIR/pv-agent.sock     $XDG_STATE_HOME/pv-agent (~/.local/state)
//              (/tmp/pv-agent-<uid>.sock without XDG_RUNTIME_DIR)
// Both can be overridden: PV_AGENT_SOCKET / --socket, PV_AGENT_STATE_DIR / --state-dir.
#ifndef PV_HOST_AGENT_PATHS_H_
#define PV_HOST_AGENT_PATHS_H_

#include <string>

namespace pv::agent {

std::string DefaultSocketPath();
std::string DefaultStateDir();

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_PATHS_H_
