// A partition's proxy and exit counters as they must survive an agent restart, kill -9
// included: kept in a small agent-private file (`counters.mem`, 0600, in the partition's
// directory, never shared with QEMU) mapped MAP_SHARED, so each update is in the page cache the
// moment it is stored. A fresh start zeroes it; a re-attaching agent reads it back (checked:
// size, magic, version, bounded reason count) and its counters continue from there.
#ifndef PV_HOST_AGENT_COUNTER_FILE_H_
#define PV_HOST_AGENT_COUNTER_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace pv::agent {

struct ProxyCounters {
  uint64_t round_trips = 0;
  uint64_t notifications = 0;
  uint64_t errors = 0;
  uint64_t doorbells_received = 0;
  uint64_t doorbells_sent = 0;
};

// What the paravisor last reported, the partition's own rejection count and console bytes.
struct ExitCounters {
  uint64_t total = 0;
  uint64_t proxied = 0;
  uint64_t proxy_errors = 0;
  uint64_t console_bytes = 0;
  std::vector<std::pair<uint32_t, uint64_t>> by_reason;
};

class CounterFile {
 public:
  static constexpr size_t kMaxReasons = 64;

  // A new run: the file created or truncated, every counter 0.
  static absl::StatusOr<std::unique_ptr<CounterFile>> Create(const std::string& path);
  // After an agent restart: the counters the previous agent left (DataLoss if the file is not
  // one this agent wrote).
  static absl::StatusOr<std::unique_ptr<CounterFile>> Open(const std::string& path);
  ~CounterFile();
  CounterFile(const CounterFile&) = delete;
  CounterFile& operator=(const CounterFile&) = delete;

  ProxyCounters proxy() const;
  void StoreProxy(const ProxyCounters& c);
  ExitCounters exits() const;
  void StoreExits(const ExitCounters& c);  // at most kMaxReasons reasons are kept

 private:
  struct Layout;
  explicit CounterFile(Layout* layout) : layout_(layout) {}
  Layout* layout_;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_COUNTER_FILE_H_
