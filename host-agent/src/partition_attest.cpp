// PartitionManager::FetchEvidence: agent-initiated evidence (`pvctl attest`, the AttestPartition
// RPC) through the partition's exit-proxy evidence mailbox (evidence_mailbox.h).
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "partition_manager.h"
#include "partition_runtime.h"

namespace pv::agent {

absl::StatusOr<std::vector<uint8_t>> PartitionManager::FetchEvidence(
    const std::string& name, std::span<const uint8_t> report_data,
    std::chrono::milliseconds timeout) {
  std::shared_ptr<EvidenceMailbox> mailbox;
  uint32_t sequence = 0;
  {
    // Posted under the manager's lock: the proxy (and the shared memory the request is written
    // into) cannot go away meanwhile. The wait happens without it.
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Partition> p = Find(name);
    if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
    if (p->record.state() != pv::v1::PARTITION_STATE_RUNNING || p->proxy == nullptr) {
      const std::string full = pv::v1::PartitionState_Name(p->record.state());
      absl::string_view state = full;
      absl::ConsumePrefix(&state, "PARTITION_STATE_");
      return absl::FailedPreconditionError(
          absl::StrCat("partition '", name, "' is ", state, "; AttestPartition needs RUNNING"));
    }
    mailbox = p->proxy->evidence_mailbox();
    absl::StatusOr<uint32_t> posted = mailbox->Post(report_data);
    if (!posted.ok()) return posted.status();
    sequence = *posted;
  }
  return mailbox->Await(sequence, timeout);
}

}  // namespace pv::agent
