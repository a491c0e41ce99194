// One partition as the manager holds it: its record (what GetPartition returns and
// partition.json stores) and, while QEMU runs, the process, QMP connection, ivshmem server and
// exit-proxy server. It is also the exit proxy's sink: console bytes, guest stop, statistics,
// rejected messages.
#ifndef PV_HOST_AGENT_PARTITION_RUNTIME_H_
#define PV_HOST_AGENT_PARTITION_RUNTIME_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "attestation_backend.h"
#include "counter_file.h"
#include "exit_handler.h"
#include "exit_proxy_server.h"
#include "ivshmem_server.h"
#include "kbs_relay.h"
#include "pv/v1/partition_manager.pb.h"
#include "qmp_client.h"
#include "unique_fd.h"

namespace pv::agent {

class PartitionManager;

class Partition : public ExitSink {
 public:
  Partition(PartitionManager* manager, pv::v1::Partition record, std::string dir)
      : manager_(manager), record(std::move(record)), dir(std::move(dir)) {}

  std::string name() const { return record.spec().name(); }
  std::string PathOf(const std::string& file) const { return dir + "/" + file; }

  // ExitSink (called on the exit-proxy thread).
  void OnConsole(absl::string_view bytes) override;
  void OnGuestStopped(uint32_t reason, uint32_t code) override;
  void OnStatistics(uint64_t total, uint64_t proxied,
                    const std::vector<std::pair<uint32_t, uint64_t>>& counters) override;
  void OnProxyError(const std::string& detail) override;

  // Opens console.log for a new run (truncating it). With `suppress` (policy
  // suppress_console) guest console bytes are counted but never stored or streamed.
  void ResetConsole(bool suppress = false);
  void CloseConsole();
  uint64_t console_bytes();
  // Fills the paravisor-reported, console and proxy-error parts of `stats`.
  void FillStats(pv::v1::PartitionStats* stats);
  void WaitForConsole(uint64_t known_size, std::chrono::milliseconds timeout);
  // Where this run's exit counters and proxy-error count are kept across agent restarts
  // (counter_file.h); with `restore`, they continue from what the file holds.
  void AttachCounters(std::shared_ptr<CounterFile> file, bool restore);

  PartitionManager* manager_;

  // Guarded by PartitionManager::mu_.
  pv::v1::Partition record;
  const std::string dir;
  bool stop_requested = false;
  bool detach_requested = false;
  bool guest_reported = false;
  uint32_t guest_stop_reason = 0;
  uint32_t guest_exit_code = 0;
  pid_t pid = 0;
  bool is_child = false;
  std::shared_ptr<UniqueFd> pidfd;
  std::shared_ptr<QmpClient> qmp;
  // Serialises QMP commands (QmpClient is one request/response stream).
  absl::Mutex qmp_mu;
  std::unique_ptr<IvshmemServer> ivshmem;
  std::unique_ptr<ExitProxyServer> proxy;
  std::thread supervisor;
  ExitProxyStats last_proxy_stats;  // of the previous run, kept for GetStats after a stop
  std::shared_ptr<UniqueFd> supervisor_wake;
  // tee != none: the partition's simulated secure processor (sim_sp_backend.h), created at each
  // measured start before QEMU runs; null for plain partitions.
  std::unique_ptr<AttestationBackend> attestation;
  // What the exit proxy hands attestation traffic to (null: no secure processor).
  AttestationBackend* attestation_backend() { return attestation.get(); }
  // spec.attestation: the relay to the partition's KBS (kbs_relay.h), created at each measured
  // start and kept after a stop so the last verdict stays visible.
  std::shared_ptr<HttpKbsRelay> kbs_relay;
  // While STARTING: the QEMU being launched (for a forced stop or delete to kill it) and
  // whether such a call cancelled the start.
  std::shared_ptr<UniqueFd> starting_pidfd;
  bool start_cancelled = false;
  // Loaded from a state file that could not be trusted: FAILED, may only be deleted.
  bool quarantined = false;
  // Restarts in a row under the restart policy (reset once a run lasted kStableRun).
  int restarts = 0;

 private:
  absl::Mutex io_mu_;
  UniqueFd console_fd_ ABSL_GUARDED_BY(io_mu_);
  uint64_t console_bytes_ ABSL_GUARDED_BY(io_mu_) = 0;
  bool suppress_console_ ABSL_GUARDED_BY(io_mu_) = false;
  uint64_t console_suppressed_ ABSL_GUARDED_BY(io_mu_) = 0;
  uint64_t total_exits_ ABSL_GUARDED_BY(io_mu_) = 0;
  uint64_t proxied_exits_ ABSL_GUARDED_BY(io_mu_) = 0;
  std::vector<std::pair<uint32_t, uint64_t>> exit_counters_ ABSL_GUARDED_BY(io_mu_);
  uint64_t proxy_errors_logged_ ABSL_GUARDED_BY(io_mu_) = 0;
  // Every rejection this run (message- and ring-level), the number GetStats reports.
  uint64_t proxy_errors_ ABSL_GUARDED_BY(io_mu_) = 0;
  std::shared_ptr<CounterFile> counter_file_ ABSL_GUARDED_BY(io_mu_);
  void StoreCountersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_PARTITION_RUNTIME_H_
