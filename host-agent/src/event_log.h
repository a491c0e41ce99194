// The agent's event stream: every lifecycle change and every rejected exit-proxy message gets a
// strictly increasing sequence number, is appended to <state>/events.jsonl (so sequence
// numbers survive restarts), and is kept in memory (the last kKeep) for WatchEvents replay.
#ifndef PV_HOST_AGENT_EVENT_LOG_H_
#define PV_HOST_AGENT_EVENT_LOG_H_

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "pv/v1/partition_manager.pb.h"

namespace pv::agent {

class EventLog {
 public:
  static constexpr size_t kKeep = 4096;

  explicit EventLog(std::string path) : path_(std::move(path)) {}
  // Reads the existing file (if any) so numbering continues.
  absl::Status Load();

  uint64_t Append(const std::string& partition, pv::v1::EventType type,
                  pv::v1::PartitionState state, const std::string& detail);

  // Events with sequence > `after` for `partition` (empty = all), oldest first.
  std::vector<pv::v1::Event> Since(uint64_t after, const std::string& partition) const;
  // Blocks until an event with sequence > `after` exists or `timeout` passes.
  void WaitForNewerThan(uint64_t after, std::chrono::milliseconds timeout) const;
  uint64_t last_sequence() const;

 private:
  std::string path_;
  mutable absl::Mutex mu_;
  std::deque<pv::v1::Event> events_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_EVENT_LOG_H_
