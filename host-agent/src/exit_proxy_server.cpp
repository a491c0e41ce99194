#include "exit_proxy_server.h"

#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace pv::agent {

namespace {
constexpr int kSleepMsWithDoorbell = 200;
constexpr int kSleepMsPolling = 1;

// While polling, give the CPU away if anything else wants it: the paravisor's QEMU vCPU thread
// (which produces the next exit) may be waiting for this very core. With an idle core the
// yield returns at once and the ring is looked at again within a microsecond or so.
inline void CpuRelax() {
  __builtin_ia32_pause();
  sched_yield();
}
}  // namespace

ExitProxyServer::ExitProxyServer(std::string name, SharedRegion region, int agent_eventfd,
                                 int paravisor_eventfd, ExitSink* sink, bool reattach,
                                 std::chrono::microseconds idle_spin)
    : name_(std::move(name)),
      region_(std::move(region)),
      idle_spin_(idle_spin),
      agent_eventfd_(agent_eventfd),
      paravisor_eventfd_(paravisor_eventfd),
      sink_(sink),
      bus_(MakeStandardDeviceBus([sink](absl::string_view bytes) { sink->OnConsole(bytes); })),
      handler_(&bus_, sink),
      mailbox_(std::make_shared<EvidenceMailbox>(&region_.bulk(0)->agent_evidence)),
      stop_eventfd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  for (uint32_t v = 0; v < region_.vcpus(); ++v) {
    proxy::VcpuChannel* ch = region_.channel(v);
    // On re-attach our published indices are the truth for our side; the peer's are checked
    // against them on every operation.
    const uint32_t consumed =
        reattach ? __atomic_load_n(&ch->request.control.consumer.value, __ATOMIC_ACQUIRE) : 0;
    const uint32_t produced =
        reattach ? __atomic_load_n(&ch->response.control.producer.value, __ATOMIC_ACQUIRE) : 0;
    requests_.emplace_back(&ch->request, consumed);
    responses_.emplace_back(&ch->response, produced);
    broken_.push_back(false);
  }
  handler_.set_negotiated(reattach);
  set_attestation_backend(nullptr);
}

void ExitProxyServer::set_attestation_backend(AttestationBackend* backend, KbsRelayChannel* kbs) {
  handler_.set_attestation(
      AttestationRoute{region_.base(), proxy::kSharedSize, backend, mailbox_.get(), kbs});
}

ExitProxyServer::~ExitProxyServer() {
  Stop();
}

void ExitProxyServer::Start() {
  __atomic_store_n(&region_.header()->agent_state.value,
                   static_cast<uint32_t>(proxy::PeerState::kReady), __ATOMIC_RELEASE);
  thread_ = std::thread([this] { Run(); });
}

void ExitProxyServer::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  (void)!::write(stop_eventfd_.get(), &one, sizeof(one));
  thread_.join();
}

void ExitProxyServer::ResumeCounters(std::shared_ptr<CounterFile> file) {
  absl::MutexLock lock(&stats_mu_);
  base_ = file->proxy();
  counter_file_ = std::move(file);
}

ExitProxyStats ExitProxyServer::TotalsLocked() const {
  ExitProxyStats s = base_;
  s.round_trips += published_counters_.round_trips;
  s.notifications += published_counters_.notifications;
  s.errors += published_counters_.errors;
  s.doorbells_received += doorbells_received_.load();
  s.doorbells_sent += doorbells_sent_.load();
  return s;
}

ExitProxyStats ExitProxyServer::stats() const {
  absl::MutexLock lock(&stats_mu_);
  return TotalsLocked();
}

void ExitProxyServer::SetPolling(bool polling) {
  for (size_t v = 0; v < requests_.size(); ++v) requests_[v].SetPolling(polling);
}

bool ExitProxyServer::ServeOnce() {
  bool any = false;
  alignas(8) uint8_t message[proxy::kMaxMessageSize];
  for (uint32_t v = 0; v < requests_.size(); ++v) {
    if (broken_[v]) continue;
    // Bounded per pass so one busy vCPU cannot starve the others.
    for (uint32_t n = 0; n < proxy::kSlotCount; ++n) {
      uint32_t length = 0;
      proxy::RingStatus st = requests_[v].Pop(message, sizeof(message), &length);
      if (st == proxy::RingStatus::kEmpty) break;
      any = true;
      std::vector<uint8_t> response;
      if (st == proxy::RingStatus::kCorruptIndex) {
        broken_[v] = true;
        sink_->OnProxyError(
            absl::StrCat("vcpu ", v, " request ring: producer index corrupt; ", "ring abandoned"));
        break;
      }
      if (st == proxy::RingStatus::kOversize) {
        // The slot length was impossible: answer like any other malformed message.
        response = handler_.Handle(message, proxy::kMaxMessageSize + 1, v);
      } else {
        response = handler_.Handle(message, length, v);
      }
      if (response.empty()) continue;
      bool ring = false;
      proxy::RingStatus pushed =
          responses_[v].Push(response.data(), static_cast<uint32_t>(response.size()), &ring);
      if (pushed != proxy::RingStatus::kOk) {
        sink_->OnProxyError(absl::StrCat(
            "vcpu ", v, " response ring: ", proxy::RingStatusName(pushed), "; response dropped"));
        if (pushed == proxy::RingStatus::kCorruptIndex) broken_[v] = true;
        continue;
      }
      if (ring && paravisor_eventfd_ >= 0) {
        uint64_t one = 1;
        (void)!::write(paravisor_eventfd_, &one, sizeof(one));
        doorbells_sent_.fetch_add(1);
      }
    }
  }
  if (any) {
    absl::MutexLock lock(&stats_mu_);
    published_counters_ = handler_.counters();
    if (counter_file_ != nullptr) counter_file_->StoreProxy(TotalsLocked());
  }
  return any;
}

void ExitProxyServer::Run() {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = stop_eventfd_.get();
  ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, stop_eventfd_.get(), &ev);
  const bool polling_mode = agent_eventfd_ < 0;
  if (!polling_mode) {
    ev.data.fd = agent_eventfd_;
    ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, agent_eventfd_, &ev);
  }
  SetPolling(true);
  auto last_activity = std::chrono::steady_clock::now();
  while (true) {
    if (ServeOnce()) {
      last_activity = std::chrono::steady_clock::now();
      continue;
    }
    if (std::chrono::steady_clock::now() - last_activity < idle_spin_) {
      CpuRelax();
      continue;
    }
    if (!polling_mode) {
      SetPolling(false);
      bool pending = false;
      for (auto& r : requests_) pending = pending || r.HasPending();
      if (pending) {
        SetPolling(true);
        continue;
      }
    }
    epoll_event events[2];
    int n =
        ::epoll_wait(epoll.get(), events, 2, polling_mode ? kSleepMsPolling : kSleepMsWithDoorbell);
    bool stop = false;
    for (int i = 0; i < n; ++i) {
      uint64_t count = 0;
      if (events[i].data.fd == stop_eventfd_.get()) {
        stop = true;
      } else if (::read(agent_eventfd_, &count, sizeof(count)) == sizeof(count)) {
        doorbells_received_.fetch_add(count);
      }
    }
    if (stop) {
      // QEMU may have exited right after its last messages (GuestStopped, Statistics): the
      // shared memory outlives it, so serve what is there once more.
      ServeOnce();
      break;
    }
    if (!polling_mode) SetPolling(true);
    last_activity = std::chrono::steady_clock::now();
  }
}

}  // namespace pv::agent
