#include "kbs/decision_log.h"

#include "attest/common/time_util.h"

namespace pv::kbs {

DecisionLog::DecisionLog(const std::string& path, bool echo_stderr, size_t ring_size)
    : echo_(echo_stderr), ring_size_(ring_size) {
  if (!path.empty()) file_ = std::fopen(path.c_str(), "ae");
}

DecisionLog::~DecisionLog() {
  if (file_ != nullptr) (void)std::fclose(file_);
}

void DecisionLog::Record(const std::string& event, const std::string& outcome,
                         const std::string& reason, nlohmann::json details) {
  details["time"] = attest::FormatRfc3339(attest::CurrentUnixTime());
  details["event"] = event;
  details["outcome"] = outcome;
  details["reason"] = reason;
  const std::string line = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) {
    (void)std::fprintf(file_, "%s\n", line.c_str());
    (void)std::fflush(file_);
  }
  if (echo_) (void)std::fprintf(stderr, "pv-kbs: decision %s\n", line.c_str());
  ring_.push_back(std::move(details));
  while (ring_.size() > ring_size_) ring_.pop_front();
}

std::vector<nlohmann::json> DecisionLog::Recent(size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = std::min(limit, ring_.size());
  return std::vector<nlohmann::json>(ring_.end() - static_cast<long>(n), ring_.end());
}

}  // namespace pv::kbs
