// The agent's event stream: every lifecycle change and every rejected exit-proxy message gets a
// strictly increasing sequence number, is appended to <state>/events.jsonl (so sequence
// numbers survive restarts), and is kept in memory (the last kKeep) for WatchEvents replay.
// Beyond `max_bytes` the file is rotated (events.jsonl -> .1 -> .2 -> .3, the oldest dropped);
// numbering continues across files, and a restart reads only the tails of the newest two, so
// no size of an old log can keep the agent from starting.
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

  static constexpr int kRotatedFiles = 3;
  static constexpr uint64_t kLoadTail = 8ull << 20;  // bytes read from each file at start

  explicit EventLog(std::string path, uint64_t max_bytes = 16ull << 20)
      : path_(std::move(path)), max_bytes_(max_bytes) {}
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
  void LoadTail(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RotateIfNeeded(size_t next_line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::string path_;
  uint64_t max_bytes_;
  mutable absl::Mutex mu_;
  uint64_t file_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<pv::v1::Event> events_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_EVENT_LOG_H_
