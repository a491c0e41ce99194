#include "partition_runtime.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>

#include "absl/strings/str_cat.h"
#include "exit_proxy_generated.h"
#include "log.h"
#include "partition_manager.h"

namespace pv::agent {

namespace {

// "NestedPageFault" -> "nested_page_fault".
std::string ExitReasonSnakeName(pv::proxy::fb::ExitReason reason) {
  std::string out;
  for (const char* p = pv::proxy::fb::EnumNameExitReason(reason); *p != '\0'; ++p) {
    if (std::isupper(static_cast<unsigned char>(*p)) && !out.empty()) out += '_';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(*p)));
  }
  return out;
}
// Rejected messages are logged and turned into events, but a partition that floods the ring
// with garbage must not flood the log: the first kLoggedErrors, then every kLogEvery-th.
constexpr uint64_t kLoggedErrors = 20;
constexpr uint64_t kLogEvery = 1000;
}  // namespace

void Partition::ResetConsole(bool suppress) {
  absl::MutexLock lock(&io_mu_);
  suppress_console_ = suppress;
  console_suppressed_ = 0;
  const std::string path = PathOf("console.log");
  console_fd_.Reset(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
  if (!console_fd_.valid()) Log(name(), ": cannot open ", path, ": ", strerror(errno));
  console_bytes_ = 0;
  proxy_errors_ = 0;
  total_exits_ = proxied_exits_ = 0;
  exit_counters_.clear();
}

void Partition::CloseConsole() {
  absl::MutexLock lock(&io_mu_);
  console_fd_.Reset();
}

void Partition::OnConsole(absl::string_view bytes) {
  absl::MutexLock lock(&io_mu_);
  if (suppress_console_) {
    console_suppressed_ += bytes.size();  // production policy: nothing reaches the host
    return;
  }
  if (!console_fd_.valid()) {
    // Re-attached partition: keep appending to the existing log.
    const std::string path = PathOf("console.log");
    console_fd_.Reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    // (Its byte count came back with the counter file, which also counts suppressed bytes.)
    if (console_fd_.valid() && counter_file_ == nullptr) {
      console_bytes_ = ::lseek(console_fd_.get(), 0, SEEK_END);
    }
  }
  if (console_fd_.valid()) (void)!::write(console_fd_.get(), bytes.data(), bytes.size());
  console_bytes_ += bytes.size();
  StoreCountersLocked();
}

uint64_t Partition::console_bytes() {
  absl::MutexLock lock(&io_mu_);
  return console_bytes_;
}

void Partition::WaitForConsole(uint64_t known_size, std::chrono::milliseconds timeout) {
  absl::MutexLock lock(&io_mu_);
  auto grown = [this, known_size]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_) { return console_bytes_ > known_size; };
  io_mu_.AwaitWithTimeout(absl::Condition(&grown), absl::FromChrono(timeout));
}

void Partition::OnStatistics(uint64_t total, uint64_t proxied,
                             const std::vector<std::pair<uint32_t, uint64_t>>& counters) {
  absl::MutexLock lock(&io_mu_);
  total_exits_ = total;
  proxied_exits_ = proxied;
  exit_counters_ = counters;
  StoreCountersLocked();
}

void Partition::AttachCounters(std::shared_ptr<CounterFile> file, bool restore) {
  absl::MutexLock lock(&io_mu_);
  counter_file_ = std::move(file);
  if (restore) {
    ExitCounters c = counter_file_->exits();
    total_exits_ = c.total;
    proxied_exits_ = c.proxied;
    proxy_errors_ = c.proxy_errors;
    console_bytes_ = c.console_bytes;
    exit_counters_ = std::move(c.by_reason);
  } else {
    StoreCountersLocked();
  }
}

void Partition::StoreCountersLocked() {
  if (counter_file_ == nullptr) return;
  counter_file_->StoreExits(
      ExitCounters{total_exits_, proxied_exits_, proxy_errors_, console_bytes_, exit_counters_});
}

void Partition::FillStats(pv::v1::PartitionStats* stats) {
  absl::MutexLock lock(&io_mu_);
  stats->set_total_exits(total_exits_);
  stats->set_proxied_exits(proxied_exits_);
  for (const auto& [reason, count] : exit_counters_) {
    pv::v1::ExitReasonCount* c = stats->add_exits_by_reason();
    c->set_reason(reason);
    c->set_count(count);
    const auto known = static_cast<uint32_t>(pv::proxy::fb::ExitReason::MAX);
    c->set_reason_name(reason <= known
                           ? ExitReasonSnakeName(static_cast<pv::proxy::fb::ExitReason>(reason))
                           : absl::StrCat("reason-", reason));
  }
  stats->set_console_bytes(console_bytes_);
  stats->set_proxy_errors(proxy_errors_);
}

void Partition::OnGuestStopped(uint32_t reason, uint32_t code) {
  absl::MutexLock lock(&manager_->mu_);
  guest_reported = true;
  guest_stop_reason = reason;
  guest_exit_code = code;
  manager_->events_.Append(name(), pv::v1::EVENT_TYPE_GUEST_STOPPED, record.state(),
                           absl::StrCat("guest stopped: reason ", reason, ", code ", code));
}

void Partition::OnProxyError(const std::string& detail) {
  uint64_t n;
  {
    absl::MutexLock lock(&io_mu_);
    n = ++proxy_errors_logged_;
    ++proxy_errors_;
    StoreCountersLocked();
  }
  if (n <= kLoggedErrors || n % kLogEvery == 0) {
    Log(name(), ": exit proxy rejected a message (#", n, "): ", detail);
    absl::MutexLock lock(&manager_->mu_);
    manager_->events_.Append(name(), pv::v1::EVENT_TYPE_PROXY_ERROR, record.state(), detail);
  }
}

}  // namespace pv::agent
