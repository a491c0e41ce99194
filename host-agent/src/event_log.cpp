#include "event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_split.h"
#include "file_util.h"
#include "google/protobuf/util/json_util.h"
#include "log.h"
#include "unique_fd.h"

namespace pv::agent {

void EventLog::LoadTail(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return;
  const uint64_t size = st.st_size;
  const uint64_t start = size > kLoadTail ? size - kLoadTail : 0;
  std::string text(size - start, '\0');
  ssize_t n = ::pread(fd.get(), text.data(), text.size(), start);
  text.resize(n > 0 ? n : 0);
  // Reading from the middle: the first line is cut, skip it.
  if (start > 0) text.erase(0, std::min(text.size(), text.find('\n') + 1));
  size_t bad = 0;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    pv::v1::Event event;
    if (!google::protobuf::util::JsonStringToMessage(std::string(line), &event, options).ok()) {
      ++bad;  // e.g. a line cut short by a crash: skip it, keep numbering from the rest
      continue;
    }
    if (event.sequence() >= next_sequence_) next_sequence_ = event.sequence() + 1;
    events_.push_back(std::move(event));
    if (events_.size() > kKeep) events_.pop_front();
  }
  if (bad > 0) Log(path, ": skipped ", bad, " unreadable event lines");
}

absl::Status EventLog::Load() {
  absl::MutexLock lock(&mu_);
  LoadTail(path_ + ".1");
  LoadTail(path_);
  struct stat st;
  file_bytes_ = ::stat(path_.c_str(), &st) == 0 ? st.st_size : 0;
  return absl::OkStatus();
}

void EventLog::RotateIfNeeded(size_t next_line) {
  if (file_bytes_ == 0 || file_bytes_ + next_line <= max_bytes_) return;
  for (int i = kRotatedFiles - 1; i >= 1; --i) {
    (void)::rename(absl::StrCat(path_, ".", i).c_str(), absl::StrCat(path_, ".", i + 1).c_str());
  }
  if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0) {
    Log("cannot rotate ", path_, ": ", strerror(errno));
    return;
  }
  file_bytes_ = 0;
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
  RotateIfNeeded(json.size());
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (fd.valid()) {
    if (::write(fd.get(), json.data(), json.size()) > 0) file_bytes_ += json.size();
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
