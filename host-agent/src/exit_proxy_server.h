// Serves one partition's exit-proxy rings: a thread that drains every vCPU's request ring,
// hands each message (copied out of shared memory once, into an aligned private buffer) to the
// ExitHandler, and pushes the responses.
//
// Doorbells: while busy, the server keeps `consumer_polling` set on the request rings so the
// paravisor does not ring; after a short idle spin it clears the flag, looks once more, and
// sleeps in epoll on its ivshmem eventfd. A re-attached server (agent restart) has no eventfd
// (QEMU keeps the one of the previous agent), so it stays in polling mode with short sleeps.
#ifndef PV_HOST_AGENT_EXIT_PROXY_SERVER_H_
#define PV_HOST_AGENT_EXIT_PROXY_SERVER_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "attestation_backend.h"
#include "counter_file.h"
#include "device_models.h"
#include "evidence_mailbox.h"
#include "exit_handler.h"
#include "ring/spsc_ring.h"
#include "shared_region.h"
#include "unique_fd.h"

namespace pv::agent {

using ExitProxyStats = ProxyCounters;  // counter_file.h

class ExitProxyServer {
 public:
  // `agent_eventfd` < 0 selects polling mode. `reattach` resumes from the indices in shared
  // memory instead of a fresh ring and treats the channel as already negotiated.
  ExitProxyServer(std::string name, SharedRegion region, int agent_eventfd, int paravisor_eventfd,
                  ExitSink* sink, bool reattach,
                  std::chrono::microseconds idle_spin = kDefaultIdleSpin);

  // How long the server keeps polling after the last message before it sleeps. Exits come in
  // bursts (a console line is many OUTs, a driver polls a register), so a short spin saves
  // most doorbells and wake-ups; 0 sleeps at once (fewest CPU cycles, highest latency).
  static constexpr std::chrono::microseconds kDefaultIdleSpin{200};
  ~ExitProxyServer();

  void Start();
  void Stop();
  ExitProxyStats stats() const;

  // The partition's secure processor for attestation traffic (not owned; must outlive the
  // server). Without one, attestation requests are answered Unsupported. Call before Start().
  void set_attestation_backend(AttestationBackend* backend, KbsRelayChannel* kbs = nullptr);
  // Where the counters are kept across agent restarts: the server continues from the values in
  // `file` (0 for a fresh run, the previous agent's after a re-attach) and stores its totals
  // there after every batch. Call before Start().
  void ResumeCounters(std::shared_ptr<CounterFile> file);
  // Agent-initiated evidence requests to this partition's paravisor (evidence_mailbox.h).
  // Shared so a waiting caller keeps it alive if the server goes away meanwhile.
  std::shared_ptr<EvidenceMailbox> evidence_mailbox() { return mailbox_; }

 private:
  void Run();
  bool ServeOnce();  // true if any message was handled
  void SetPolling(bool polling);

  std::string name_;
  SharedRegion region_;
  std::chrono::microseconds idle_spin_;
  int agent_eventfd_;
  int paravisor_eventfd_;
  ExitSink* sink_;
  DeviceBus bus_;
  ExitHandler handler_;
  std::shared_ptr<EvidenceMailbox> mailbox_;
  std::vector<proxy::RingConsumer> requests_;
  std::vector<proxy::RingProducer> responses_;
  std::vector<bool> broken_;
  UniqueFd stop_eventfd_;
  std::thread thread_;
  std::atomic<uint64_t> doorbells_received_{0};
  std::atomic<uint64_t> doorbells_sent_{0};
  mutable absl::Mutex stats_mu_;
  ExitHandlerCounters published_counters_ ABSL_GUARDED_BY(stats_mu_);
  ExitProxyStats base_;  // counted by earlier agents of this run (ResumeCounters)
  std::shared_ptr<CounterFile> counter_file_;
  ExitProxyStats TotalsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(stats_mu_);
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_EXIT_PROXY_SERVER_H_
