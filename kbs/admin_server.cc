#include "kbs/admin_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "kbs/base64.h"
#include "kbs/protocol.h"

namespace pv::kbs {
namespace {

using Json = nlohmann::json;

Json Fail(const std::string& error) {
  return Json{{"ok", false}, {"error", error}};
}
Json Fail(const absl::Status& s) {
  return Fail(std::string(s.message()));
}

bool ReadAll(int fd, std::string* out) {
  char buf[16384];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;  // a silent peer cannot hold the socket
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    if (out->size() + static_cast<size_t>(n) > kMaxAdminRequestBytes) return false;
    out->append(buf, static_cast<size_t>(n));
  }
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

AdminServer::~AdminServer() {
  Stop();
}

absl::Status AdminServer::Start(const std::string& socket_path) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError("--admin-socket: path too long");
  }
  path_ = socket_path;
  ::unlink(path_.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return absl::InternalError("admin socket: socket() failed");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  const mode_t old = ::umask(0177);  // the socket file is created 0600
  const int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (rc != 0 || ::listen(listen_fd_, 16) != 0) {
    return absl::InternalError(absl::StrCat("admin socket ", path_, ": ", std::strerror(errno)));
  }
  thread_ = std::thread([this] { Serve(); });
  return absl::OkStatus();
}

void AdminServer::Stop() {
  if (listen_fd_ < 0) return;
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  ::unlink(path_.c_str());
}

void AdminServer::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ServeOne(fd);
    ::close(fd);
  }
}

void AdminServer::ServeOne(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != admin_uid_) {
    service_->log().Record("admin", "deny", "peer uid is not the admin uid",
                           {{"peer_uid", cred.uid}, {"peer_pid", cred.pid}});
    WriteAll(fd,
             Fail(absl::StrCat("permission denied: uid ", cred.uid, " is not the KBS admin uid"))
                 .dump());
    return;
  }
  std::string body;
  if (!ReadAll(fd, &body)) {
    WriteAll(fd, Fail("request too large, unterminated or timed out").dump());
    return;
  }
  auto req = ParseBoundedJson(body, kMaxAdminRequestBytes, "admin request");
  const Json resp = req.ok() ? Handle(*req) : Fail(req.status());
  WriteAll(fd, resp.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Json AdminServer::Handle(const Json& req) {
  if (!req.is_object() || !req.contains("op") || !req["op"].is_string()) {
    return Fail("request must be an object with a string \"op\"");
  }
  const std::string op = req["op"].get<std::string>();
  auto path_of = [&]() -> absl::StatusOr<ResourcePath> {
    if (!req.contains("path") || !req["path"].is_string()) {
      return absl::InvalidArgumentError("\"path\" (repo/type/tag) missing");
    }
    return ParseResourcePath(req["path"].get<std::string>());
  };
  Store& store = service_->store();
  DecisionLog& log = service_->log();
  if (op == "set-resource" || op == "get-resource" || op == "delete-resource") {
    auto path = path_of();
    if (!path.ok()) return Fail(path.status());
    const Json what = {{"op", op}, {"resource", path->ToString()}};
    if (op == "get-resource") {
      auto v = store.GetResource(*path);
      if (!v.ok()) return Fail(v.status());
      log.Record("admin", "allow", "resource read by admin", what);
      return Json{{"ok", true}, {"value", Base64Encode(*v)}};
    }
    absl::Status s;
    if (op == "set-resource") {
      if (!req.contains("value") || !req["value"].is_string())
        return Fail("\"value\" (base64) missing");
      auto v = Base64Decode(req["value"].get<std::string>());
      if (!v.ok()) return Fail(absl::StrCat("value: ", v.status().message()));
      s = store.PutResource(*path, *v);
    } else {
      s = store.DeleteResource(*path);
    }
    log.Record("admin", s.ok() ? "allow" : "error",
               s.ok() ? "resource changed" : std::string(s.message()), what);
    return s.ok() ? Json{{"ok", true}} : Fail(s);
  }
  if (op == "list-resources") {
    auto list = store.ListResources();
    if (!list.ok()) return Fail(list.status());
    return Json{{"ok", true}, {"resources", *list}};
  }
  if (op == "set-policy") {
    if (!req.contains("policy") || !req["policy"].is_object())
      return Fail("\"policy\" (object) missing");
    const absl::Status s = service_->SetPolicy(req["policy"].dump());
    log.Record("admin", s.ok() ? "allow" : "error",
               s.ok() ? "policy replaced" : std::string(s.message()), {{"op", op}});
    return s.ok() ? Json{{"ok", true}} : Fail(s);
  }
  if (op == "get-policy") {
    auto text = store.GetPolicy();
    if (!text.ok()) return Fail(text.status());
    return Json{{"ok", true}, {"policy", Json::parse(*text, nullptr, false)}};
  }
  if (op == "decisions") {
    size_t limit = 50;
    if (req.contains("limit") && req["limit"].is_number_unsigned()) {
      limit = std::min<size_t>(req["limit"].get<size_t>(), 1000);
    }
    return Json{{"ok", true}, {"decisions", log.Recent(limit)}};
  }
  if (op == "status") {
    return Json{{"ok", true},
                {"sessions", service_->sessions().size()},
                {"token_jwk", service_->token_signer().PublicJwk()}};
  }
  return Fail(absl::StrCat("unknown op \"", op.substr(0, 32), "\""));
}

}  // namespace pv::kbs
