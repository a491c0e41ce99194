// Minimal QMP (QEMU Machine Protocol) client over a Unix socket: greeting, capability
// negotiation, and synchronous commands. Asynchronous events received while waiting for a
// reply are skipped. Every line read is size-limited (QEMU is a separate, hostile-capable
// process from the agent's point of view).
#ifndef PV_HOST_AGENT_QMP_CLIENT_H_
#define PV_HOST_AGENT_QMP_CLIENT_H_

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "unique_fd.h"

namespace pv::agent {

class QmpClient {
 public:
  // Connects (retrying until `timeout` while the socket does not exist yet) and negotiates.
  static absl::StatusOr<QmpClient> Connect(const std::string& socket_path,
                                           std::chrono::milliseconds timeout);

  // Runs `command` with optional `arguments`; returns the "return" member or the QMP error.
  absl::StatusOr<nlohmann::json> Execute(
      const std::string& command, const nlohmann::json& arguments = nullptr,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

 private:
  explicit QmpClient(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  absl::StatusOr<nlohmann::json> ReadMessage(std::chrono::steady_clock::time_point deadline);

  UniqueFd fd_;
  std::string path_;
  std::string buffer_;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_QMP_CLIENT_H_
