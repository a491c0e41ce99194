#include "qmp_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "errno_status.h"

namespace pv::agent {

namespace {
constexpr size_t kMaxQmpLine = 1 << 20;

absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus("socket for", path);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoStatus("connect to", path);
  }
  return fd;
}
}  // namespace

absl::StatusOr<QmpClient> QmpClient::Connect(const std::string& socket_path,
                                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  absl::StatusOr<UniqueFd> fd;
  while (true) {
    fd = ConnectUnix(socket_path);
    if (fd.ok() || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!fd.ok()) return fd.status();
  QmpClient client(std::move(*fd), socket_path);
  absl::StatusOr<nlohmann::json> greeting = client.ReadMessage(deadline);
  if (!greeting.ok()) return greeting.status();
  if (!greeting->contains("QMP")) {
    return absl::UnavailableError(absl::StrCat("QMP ", socket_path, ": no greeting"));
  }
  absl::StatusOr<nlohmann::json> caps = client.Execute("qmp_capabilities");
  if (!caps.ok()) return caps.status();
  return client;
}

absl::StatusOr<nlohmann::json> QmpClient::ReadMessage(
    std::chrono::steady_clock::time_point deadline) {
  while (true) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      nlohmann::json message = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (message.is_discarded() || !message.is_object()) {
        return absl::DataLossError(absl::StrCat("QMP ", path_, ": malformed message"));
      }
      return message;
    }
    if (buffer_.size() > kMaxQmpLine) {
      return absl::ResourceExhaustedError(absl::StrCat("QMP ", path_, ": line over 1 MiB"));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("QMP ", path_, ": no reply"));
    }
    pollfd pfd{fd_.get(), POLLIN, 0};
    int wait_ms =
        static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) +
        1;
    int r = ::poll(&pfd, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("poll QMP", path_);
    if (r == 0) continue;
    char chunk[4096];
    ssize_t n = ::read(fd_.get(), chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read QMP", path_);
    if (n == 0) return absl::UnavailableError(absl::StrCat("QMP ", path_, ": connection closed"));
    buffer_.append(chunk, n);
  }
}

absl::StatusOr<nlohmann::json> QmpClient::Execute(const std::string& command,
                                                  const nlohmann::json& arguments,
                                                  std::chrono::milliseconds timeout) {
  nlohmann::json request = {{"execute", command}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  std::string text = request.dump() + "\n";
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::send(fd_.get(), text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("write QMP", path_);
    done += n;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    absl::StatusOr<nlohmann::json> message = ReadMessage(deadline);
    if (!message.ok()) return message.status();
    if (message->contains("event")) continue;  // asynchronous event, not our reply
    if (message->contains("return")) return (*message)["return"];
    if (message->contains("error")) {
      const nlohmann::json& error = (*message)["error"];
      std::string desc = "unknown error";
      if (error.is_object() && error.contains("desc") && error["desc"].is_string()) {
        desc = error["desc"].get<std::string>();
      }
      return absl::FailedPreconditionError(absl::StrCat("QMP ", command, ": ", desc));
    }
    return absl::DataLossError(absl::StrCat("QMP ", path_, ": unexpected reply to ", command));
  }
}

}  // namespace pv::agent
