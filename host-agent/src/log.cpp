#include "log.h"

#include <fcntl.h>
#include <unistd.h>

#include <deque>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "errno_status.h"

namespace pv::agent {

namespace {

class LogWriter {
 public:
  static LogWriter& Get() {
    static LogWriter* writer = new LogWriter();  // never destroyed: usable until exit
    return *writer;
  }

  void Push(std::string line) {
    absl::MutexLock lock(&mu_);
    if (queue_.size() >= kMaxQueuedLines) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(line));
  }

  absl::Status SetFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return ErrnoStatus("open log file", path);
    absl::MutexLock lock(&mu_);
    path_ = path;
    if (fd_ > 2) ::close(fd_);
    fd_ = fd;
    return absl::OkStatus();
  }

  void Reopen() {
    std::string path;
    {
      absl::MutexLock lock(&mu_);
      path = path_;
    }
    if (!path.empty()) (void)SetFile(path);
  }

  void Flush() {
    absl::MutexLock lock(&mu_);
    auto drained = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return queue_.empty() && !writing_; };
    mu_.AwaitWithTimeout(absl::Condition(&drained), absl::Seconds(2));
  }

 private:
  LogWriter() {
    std::thread([this] { Run(); }).detach();
  }

  void Run() {
    while (true) {
      std::deque<std::string> batch;
      uint64_t dropped;
      int fd;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty(); };
        mu_.Await(absl::Condition(&ready));
        batch.swap(queue_);
        dropped = std::exchange(dropped_, 0);
        fd = fd_;
        writing_ = true;
      }
      std::string text;
      if (dropped > 0) absl::StrAppend(&text, "pv-agent: ", dropped, " log lines dropped\n");
      for (const std::string& line : batch) text += line;
      for (size_t done = 0; done < text.size();) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the log is gone: nothing better to do than to go on
        done += n;
      }
      absl::MutexLock lock(&mu_);
      writing_ = false;
    }
  }

  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  int fd_ ABSL_GUARDED_BY(mu_) = 2;
  std::string path_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void LogLine(std::string line) {
  LogWriter::Get().Push(std::move(line));
}

absl::Status SetLogFile(const std::string& path) {
  return LogWriter::Get().SetFile(path);
}

void ReopenLog() {
  LogWriter::Get().Reopen();
}

void FlushLog() {
  LogWriter::Get().Flush();
}

}  // namespace pv::agent
