#include "event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_split.h"
#include "file_util.h"
#include "google/protobuf/util/json_util.h"
#include "log.h"
#include "unique_fd.h"

namespace pv::agent {

namespace {
constexpr uint64_t kMaxEventFile = 64ull << 20;
}

absl::Status EventLog::Load() {
  absl::StatusOr<std::string> text = ReadFileLimited(path_, kMaxEventFile);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) return absl::OkStatus();
    return text.status();
  }
  absl::MutexLock lock(&mu_);
  size_t bad = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    pv::v1::Event event;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(std::string(line), &event, options).ok()) {
      ++bad;  // e.g. a line cut short by a crash: skip it, keep numbering from the rest
      continue;
    }
    if (event.sequence() >= next_sequence_) next_sequence_ = event.sequence() + 1;
    events_.push_back(std::move(event));
    if (events_.size() > kKeep) events_.pop_front();
  }
  if (bad > 0) Log(path_, ": skipped ", bad, " unreadable event lines");
  return absl::OkStatus();
}

uint64_t EventLog::Append(const std::string& partition, pv::v1::EventType type,
                          pv::v1::PartitionState state, const std::string& detail) {
  absl::MutexLock lock(&mu_);
  pv::v1::Event event;
  event.set_sequence(next_sequence_++);
  event.set_unix_ms(UnixMillisNow());
  event.set_partition(partition);
  event.set_type(type);
  event.set_state(state);
  event.set_detail(detail);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(event, &json, options);
  json += "\n";
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (fd.valid()) {
    (void)!::write(fd.get(), json.data(), json.size());
  } else {
    Log("cannot append to ", path_, ": ", strerror(errno));
  }
  events_.push_back(event);
  if (events_.size() > kKeep) events_.pop_front();
  return event.sequence();
}

std::vector<pv::v1::Event> EventLog::Since(uint64_t after, const std::string& partition) const {
  absl::MutexLock lock(&mu_);
  std::vector<pv::v1::Event> out;
  for (const pv::v1::Event& e : events_) {
    if (e.sequence() > after && (partition.empty() || e.partition() == partition)) {
      out.push_back(e);
    }
  }
  return out;
}

void EventLog::WaitForNewerThan(uint64_t after, std::chrono::milliseconds timeout) const {
  absl::MutexLock lock(&mu_);
  auto newer = [this, after]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return next_sequence_ - 1 > after; };
  mu_.AwaitWithTimeout(absl::Condition(&newer), absl::FromChrono(timeout));
}

uint64_t EventLog::last_sequence() const {
  absl::MutexLock lock(&mu_);
  return next_sequence_ - 1;
}

}  // namespace pv::agent
