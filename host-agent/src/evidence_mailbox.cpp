#include "evidence_mailbox.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ring/ring_layout.h"

namespace pv::agent {

absl::StatusOr<uint32_t> EvidenceMailbox::Post(std::span<const uint8_t> report_data) {
  if (control_ == nullptr) {
    return absl::FailedPreconditionError("the partition has no exit-proxy bulk area");
  }
  if (report_data.size() != proxy::kEvidenceReportDataSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("report_data is ", report_data.size(), " bytes; it must be exactly 64"));
  }
  auto* control = static_cast<proxy::AgentEvidenceControl*>(control_);
  absl::MutexLock lock(&mu_);
  if (waiting_for_ != 0) {
    return absl::UnavailableError(
        absl::StrCat("evidence request ", waiting_for_, " is still in flight"));
  }
  // One more than the number in shared memory, not a counter of this object's: after an agent
  // restart (re-attach) the word still holds the last request this paravisor saw, and a new
  // request must differ from it. (The paravisor could change the word; that only picks which
  // number this request carries.) Skip 0 when it wraps: the paravisor starts from "seen 0".
  uint32_t sequence = __atomic_load_n(&control->evidence_request.value, __ATOMIC_ACQUIRE) + 1;
  if (sequence == 0) sequence = 1;
  next_sequence_ = sequence;
  waiting_for_ = sequence;
  answered_ = false;
  evidence_.clear();
  std::memcpy(control->report_data, report_data.data(), report_data.size());
  __atomic_store_n(&control->evidence_request.value, sequence, __ATOMIC_RELEASE);
  return sequence;
}

absl::StatusOr<std::vector<uint8_t>> EvidenceMailbox::Await(uint32_t sequence,
                                                            std::chrono::milliseconds timeout) {
  absl::MutexLock lock(&mu_);
  if (waiting_for_ != sequence) {
    return absl::FailedPreconditionError(absl::StrCat("no evidence request ", sequence));
  }
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return answered_; };
  const bool answered = mu_.AwaitWithTimeout(absl::Condition(&done), absl::FromChrono(timeout));
  waiting_for_ = 0;
  if (!answered) {
    return absl::DeadlineExceededError(
        absl::StrCat("the paravisor did not answer evidence request ", sequence, " within ",
                     timeout.count(), " ms (it looks for requests at every tick of its timer)"));
  }
  if (status_ < 0) {
    return absl::UnavailableError(
        absl::StrCat("the paravisor could not produce evidence (error ", status_,
                     status_ == -95 ? ": attestation unavailable in this partition" : "", ")"));
  }
  return std::move(evidence_);
}

absl::StatusOr<std::vector<uint8_t>> EvidenceMailbox::Fetch(std::span<const uint8_t> report_data,
                                                            std::chrono::milliseconds timeout) {
  absl::StatusOr<uint32_t> sequence = Post(report_data);
  if (!sequence.ok()) return sequence.status();
  return Await(*sequence, timeout);
}

void EvidenceMailbox::Deliver(uint32_t sequence, int32_t status, std::vector<uint8_t> evidence) {
  absl::MutexLock lock(&mu_);
  if (waiting_for_ == 0 || sequence != waiting_for_) return;
  status_ = status;
  evidence_ = std::move(evidence);
  answered_ = true;
}

}  // namespace pv::agent
