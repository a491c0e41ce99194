// The agent's core: partitions, their lifecycle, their QEMU processes, and their state on disk.
//
// State machine (anything else is FAILED_PRECONDITION naming the current state):
//   Create            -> CREATED
//   Start   CREATED | STOPPED | FAILED -> STARTING -> RUNNING   (or FAILED on launch error)
//   Stop    RUNNING  -> STOPPING -> STOPPED        (QMP quit, SIGKILL after the grace period)
//   QEMU ends on its own: STOPPED if the paravisor ended it (isa-debug-exit) or reported the
//                         guest's stop; FAILED with a reason otherwise (crash, kill, error)
//   Delete  CREATED | STOPPED | FAILED (or any state with force: stopped first)
//
// Layout on disk: <state>/partitions/<name>/{partition.json, console.log, firmware.log,
// qemu.log, qmp.sock, ivshmem.sock, shared.mem} and <state>/events.jsonl.
// partition.json is the Partition message (protobuf JSON), replaced atomically on each change.
#ifndef PV_HOST_AGENT_PARTITION_MANAGER_H_
#define PV_HOST_AGENT_PARTITION_MANAGER_H_

#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "event_log.h"
#include "image_policy.h"
#include "measured_launch.h"
#include "pv/v1/partition_manager.pb.h"
#include "qemu_process.h"
#include "simulated_platforms.h"

namespace pv::agent {

struct AgentOptions {
  std::string state_dir;
  std::string qemu_binary = "qemu-system-x86_64";
  // On a graceful agent exit, leave partitions running (for an agent upgrade) instead of
  // stopping them. After a crash they are always left running and re-attached on restart.
  bool keep_partitions_on_exit = false;
  // Exit-proxy server: polling time after the last message before sleeping on the doorbell.
  std::chrono::microseconds proxy_idle_spin{200};
  // Directories partition images must resolve into (image_policy.h).
  std::vector<std::string> image_dirs;
  // The account QEMU runs as when the agent is root (created if missing).
  std::string qemu_user = "pv-qemu";
  // events.jsonl is rotated to events.jsonl.1 (.2, .3) beyond this size.
  uint64_t events_max_bytes = 16ull << 20;
};

class Partition;  // partition_runtime.h

// The simulated secure processor's per-partition state, in the partition directory.
inline constexpr char kSimulatedSpStateFile[] = "simulated-sp-state.bin";

class PartitionManager {
 public:
  explicit PartitionManager(AgentOptions options);
  ~PartitionManager();

  // Loads partitions from disk and re-attaches those whose QEMU still runs.
  absl::Status Init();
  // Stops (or, with keep_partitions_on_exit, detaches from) every running partition.
  void Shutdown();

  absl::StatusOr<pv::v1::Partition> Create(pv::v1::PartitionSpec spec);
  absl::StatusOr<pv::v1::Partition> Start(const std::string& name);
  absl::StatusOr<pv::v1::Partition> Stop(const std::string& name, std::chrono::milliseconds grace,
                                         bool force);
  absl::Status Delete(const std::string& name, bool force);
  // QMP stop / cont: RUNNING <-> PAUSED.
  absl::StatusOr<pv::v1::Partition> Pause(const std::string& name);
  absl::StatusOr<pv::v1::Partition> Resume(const std::string& name);
  // A fresh QEMU on the same spec.
  absl::StatusOr<pv::v1::Partition> Reset(const std::string& name);
  // ACPI power button: a request the guest may honour.
  absl::StatusOr<pv::v1::Partition> RequestShutdown(const std::string& name);
  absl::StatusOr<pv::v1::Partition> Get(const std::string& name);
  std::vector<pv::v1::Partition> List();
  absl::StatusOr<pv::v1::PartitionStats> Stats(const std::string& name);
  // Host platforms plus the simulated secure-processor personalities (sim_sp_backend.h).
  pv::v1::CapabilitiesResponse Capabilities() const;
  // The simulated AMD-SP's directory: its public certificates are exported there.
  const std::string& SimulatedSpDir() const { return sim_platforms_.AmdDir(); }
  // Fresh evidence from a RUNNING partition's paravisor (partition_attest.cpp).
  absl::StatusOr<std::vector<uint8_t>> FetchEvidence(const std::string& name,
                                                     std::span<const uint8_t> report_data,
                                                     std::chrono::milliseconds timeout);
  // Partitions by state, exits by reason and proxy counters per partition (Prometheus text).
  std::string MetricsText();

  // Console: the log path for a source, and whether the partition may still produce output.
  absl::StatusOr<std::string> ConsolePath(const std::string& name, pv::v1::ConsoleSource source);
  bool MayProduceOutput(const std::string& name);
  // Blocks until new console bytes may exist for `name` or `timeout` passes.
  void WaitForConsole(const std::string& name, uint64_t known_size,
                      std::chrono::milliseconds timeout);

  EventLog& events() { return events_; }

 private:
  friend class Partition;

  std::shared_ptr<Partition> Find(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Persist(const Partition& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetState(Partition& p, pv::v1::PartitionState state, pv::v1::EventType type,
                const std::string& detail) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Launch(std::shared_ptr<Partition> p);
  // tee != none: writes and measures the launch (measured_launch.h), records the measurement.
  // The images are read from `images` (the sealed copies the start checked); the written RAM
  // file and ROM come back open, for QEMU to get by descriptor.
  absl::StatusOr<MeasuredLaunch> PrepareMeasuredLaunch(Partition& p,
                                                       const MeasuredLaunchImages& images);
  void Reattach(std::shared_ptr<Partition> p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A re-attached tee != none partition's simulated SP, from its persisted state file.
  absl::Status RestoreSimulatedSp(Partition& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Supervise(std::shared_ptr<Partition> p);
  // Every kHealthInterval: QMP query-status of each live partition, recorded in `health`.
  void HealthLoop();
  void CheckHealth(const std::shared_ptr<Partition>& p);
  void OnQemuExit(std::shared_ptr<Partition> p, int wait_status, bool have_status);
  bool WaitForStateNot(const std::string& name, pv::v1::PartitionState state,
                       std::chrono::milliseconds timeout);
  absl::Status ValidateSpec(pv::v1::PartitionSpec* spec) const;
  // One QMP command on a partition in state `from`; on success the state becomes `to`
  // (UNSPECIFIED: unchanged) with an event saying `what`.
  absl::StatusOr<pv::v1::Partition> QmpTransition(const std::string& name, const char* call,
                                                  pv::v1::PartitionState from, const char* command,
                                                  pv::v1::PartitionState to,
                                                  const std::string& what);
  // Reads partition.json (or its previous version) of `name`; quarantines what cannot be
  // trusted: FAILED with the reason, its QEMU (if any is known) stopped.
  void LoadPartition(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  AgentOptions options_;
  std::string partitions_dir_;
  std::unique_ptr<ImagePolicy> images_;
  Confinement confinement_;
  uint64_t trash_counter_ ABSL_GUARDED_BY(mu_) = 0;
  EventLog events_;
  pv::v1::CapabilitiesResponse capabilities_;
  // Generated in the background when the first tee != none partition is created or found
  // (RSA-4096 ARK and ASK: a few seconds), loaded at the latest by the first measured start.
  SimulatedPlatforms sim_platforms_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Partition>> partitions_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::thread health_thread_;
  // Starts due under autostart or the restart policy: (when, name), run by HealthLoop.
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> restarts_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_PARTITION_MANAGER_H_
