// Every KBS decision (auth, attest, resource release, admin change) as one JSON line with its
// reason: appended to <store>/decisions.log, printed on stderr, and kept in a bounded in-memory
// ring for `pvkbs decisions`. Entries name sessions by a short label and resources by path;
// callers never pass secrets, key material or full session ids.
#ifndef PV_KBS_DECISION_LOG_H_
#define PV_KBS_DECISION_LOG_H_

#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pv::kbs {

class DecisionLog {
 public:
  DecisionLog(const std::string& path, bool echo_stderr, size_t ring_size = 1000);
  ~DecisionLog();
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // `event`: auth | attest | resource | admin; `outcome`: allow | deny | error.
  void Record(const std::string& event, const std::string& outcome, const std::string& reason,
              nlohmann::json details = nlohmann::json::object());
  std::vector<nlohmann::json> Recent(size_t limit) const;

 private:
  mutable std::mutex mu_;
  FILE* file_ = nullptr;
  bool echo_;
  size_t ring_size_;
  std::deque<nlohmann::json> ring_;
};

}  // namespace pv::kbs

#endif  // PV_KBS_DECISION_LOG_H_
