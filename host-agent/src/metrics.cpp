#include "metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "errno_status.h"

namespace pv::agent {

std::string PromLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void RpcLatencies::Record(const char* method, double seconds) {
  absl::MutexLock lock(&mu_);
  Histogram& h = by_method_[method];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void RpcLatencies::AppendText(std::string* out) {
  absl::StrAppend(out,
                  "# HELP pv_rpc_duration_seconds Unary pv.v1.PartitionManager calls by method.\n"
                  "# TYPE pv_rpc_duration_seconds histogram\n");
  absl::MutexLock lock(&mu_);
  for (const auto& [method, h] : by_method_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      absl::StrAppend(out, "pv_rpc_duration_seconds_bucket{method=\"", method, "\",le=\"",
                      kBuckets[i], "\"} ", h.counts[i], "\n");
    }
    absl::StrAppend(out, "pv_rpc_duration_seconds_bucket{method=\"", method, "\",le=\"+Inf\"} ",
                    h.count, "\n", "pv_rpc_duration_seconds_sum{method=\"", method, "\"} ",
                    absl::StrFormat("%.6f", h.sum), "\n", "pv_rpc_duration_seconds_count{method=\"",
                    method, "\"} ", h.count, "\n");
  }
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Listen(
    const std::string& address, std::function<std::string()> render) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen '", address, "' must be 127.0.0.1:PORT or [::1]:PORT"));
  }
  const std::string host = address.substr(0, colon);
  UniqueFd fd;
  if (host == "127.0.0.1") {
    fd.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return ErrnoStatus("bind metrics endpoint", address);
    }
  } else if (host == "[::1]") {
    fd.Reset(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    addr.sin6_addr = in6addr_loopback;
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return ErrnoStatus("bind metrics endpoint", address);
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics-listen '", address, "': only a loopback address (127.0.0.1, [::1]) is served"));
  }
  if (::listen(fd.get(), 8) != 0) return ErrnoStatus("listen on metrics endpoint", address);
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(fd), std::move(render)));
}

MetricsServer::MetricsServer(UniqueFd listener, std::function<std::string()> render)
    : listener_(std::move(listener)), render_(std::move(render)) {
  thread_ = std::thread([this] { Run(); });
}

MetricsServer::~MetricsServer() {
  ::shutdown(listener_.get(), SHUT_RDWR);  // accept() returns: the thread ends
  if (thread_.joinable()) thread_.join();
}

void MetricsServer::Run() {
  while (true) {
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    const timeval send_timeout{2, 0};  // a client that stops reading cannot hold the thread
    ::setsockopt(conn.get(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    // Read the request head (bounded, with a deadline): only "GET " matters.
    std::string head;
    char buf[1024];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd pfd{conn.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
      ssize_t n = ::read(conn.get(), buf, sizeof(buf));
      if (n <= 0) break;
      head.append(buf, n);
    }
    std::string response;
    if (head.rfind("GET ", 0) == 0) {
      const std::string body = render_();
      response = absl::StrCat(
          "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
          "Content-Length: ",
          body.size(), "\r\nConnection: close\r\n\r\n", body);
    } else {
      response = "HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n";
    }
    for (size_t done = 0; done < response.size();) {
      ssize_t n = ::send(conn.get(), response.data() + done, response.size() - done, MSG_NOSIGNAL);
      if (n <= 0) break;
      done += n;
    }
  }
}

}  // namespace pv::agent
