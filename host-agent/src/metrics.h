// Prometheus text exposition (format 0.0.4) on an opt-in loopback endpoint
// (--metrics-listen 127.0.0.1:PORT): partitions by state, exits by reason, proxy round trips and
// errors per partition, RPC latencies by method. Read-only and unauthenticated, so it only
// listens on a loopback address and never carries console bytes or secrets.
#ifndef PV_HOST_AGENT_METRICS_H_
#define PV_HOST_AGENT_METRICS_H_

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "unique_fd.h"

namespace pv::agent {

// Latency histograms of unary RPCs by method.
class RpcLatencies {
 public:
  static constexpr std::array<double, 9> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.05,   0.1,   0.5,    2.5};
  void Record(const char* method, double seconds);
  void AppendText(std::string* out);

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  absl::Mutex mu_;
  std::map<std::string, Histogram> by_method_ ABSL_GUARDED_BY(mu_);
};

// Records the time from construction to destruction.
class RpcTimer {
 public:
  RpcTimer(RpcLatencies* latencies, const char* method)
      : latencies_(latencies), method_(method), start_(std::chrono::steady_clock::now()) {}
  ~RpcTimer() {
    latencies_->Record(
        method_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  RpcTimer(const RpcTimer&) = delete;
  RpcTimer& operator=(const RpcTimer&) = delete;

 private:
  RpcLatencies* latencies_;
  const char* method_;
  std::chrono::steady_clock::time_point start_;
};

// A minimal HTTP/1.0 server answering every GET with `render()` (one thread, one connection
// at a time, 2 s read timeout, request line and headers bounded to 8 KiB).
class MetricsServer {
 public:
  // `address` is "127.0.0.1:PORT" or "[::1]:PORT"; anything else is INVALID_ARGUMENT.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Listen(const std::string& address,
                                                               std::function<std::string()> render);
  ~MetricsServer();

 private:
  MetricsServer(UniqueFd listener, std::function<std::string()> render);
  void Run();

  UniqueFd listener_;
  std::function<std::string()> render_;
  std::thread thread_;
};

// A label value with \, " and newline escaped as the format requires.
std::string PromLabel(const std::string& value);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_METRICS_H_
