// pv-kbs: the key broker daemon.
//   pv-kbs --listen HOST:PORT --store DIR [--admin-socket PATH] [--admin-uid UID]
//          [--snp-allow-root FILE]... [--tdx-allow-root FILE] [--tdx-collateral DIR]
//          [--snp-kds-cache DIR] [--challenge-ttl S] [--session-ttl S] [--max-sessions N]
//          [--threads N] [--quiet]
// PORT 0 picks a free port; the bound address is printed as "pv-kbs: listening on http://...".
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kbs/admin_server.h"
#include "kbs/http_api.h"
#include "kbs/kbs_service.h"

namespace {

constexpr int kListenBacklog = 1024;

int Usage(const std::string& error) {
  std::fprintf(stderr,
               "pv-kbs: %s\nusage: pv-kbs --listen HOST:PORT --store DIR [--admin-socket PATH]\n"
               "  [--admin-uid UID] [--snp-allow-root FILE]... [--tdx-allow-root FILE]\n"
               "  [--allow-sample-tee]\n"
               "  [--tdx-collateral DIR] [--snp-kds-cache DIR] [--challenge-ttl S]\n"
               "  [--session-ttl S] [--token-ttl S] [--max-sessions N] [--threads N] [--quiet]\n",
               error.c_str());
  return 2;
}

template <typename T>
bool ParseNumber(const std::string& text, T min, T max, T* out) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < static_cast<int64_t>(min) ||
      v > static_cast<int64_t>(max)) {
    return false;
  }
  *out = static_cast<T>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pv::kbs;
  std::string listen, store_dir, admin_socket;
  uid_t admin_uid = ::geteuid();
  size_t threads = 8;
  bool quiet = false;
  ServiceConfig config;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--quiet") {
      quiet = true;
    } else if (arg == "--allow-sample-tee") {
      config.appraiser.allow_sample_tee = true;
    } else if (!value(&v)) {
      return Usage(absl::StrCat("unknown option or missing value: ", arg));
    } else if (arg == "--listen") {
      listen = v;
    } else if (arg == "--store") {
      store_dir = v;
    } else if (arg == "--admin-socket") {
      admin_socket = v;
    } else if (arg == "--admin-uid") {
      if (!ParseNumber<uid_t>(v, 0, 0x7fffffff, &admin_uid)) return Usage("bad --admin-uid");
    } else if (arg == "--snp-allow-root") {
      config.appraiser.snp_allowed_roots.push_back(v);
    } else if (arg == "--tdx-allow-root") {
      config.appraiser.tdx_allowed_root = v;
    } else if (arg == "--tdx-collateral") {
      config.appraiser.tdx_collateral_dir = v;
    } else if (arg == "--snp-kds-cache") {
      config.appraiser.snp_kds_cache_dir = v;
    } else if (arg == "--challenge-ttl") {
      if (!ParseNumber<int64_t>(v, 1, 86400, &config.limits.challenge_ttl))
        return Usage("bad --challenge-ttl");
    } else if (arg == "--session-ttl") {
      if (!ParseNumber<int64_t>(v, 1, 86400, &config.limits.session_ttl))
        return Usage("bad --session-ttl");
    } else if (arg == "--max-sessions") {
      if (!ParseNumber<size_t>(v, 1, 1000000, &config.limits.max_sessions))
        return Usage("bad --max-sessions");
    } else if (arg == "--token-ttl") {
      if (!ParseNumber<int64_t>(v, 1, 86400, &config.token_ttl)) return Usage("bad --token-ttl");
    } else if (arg == "--threads") {
      if (!ParseNumber<size_t>(v, 1, 256, &threads)) return Usage("bad --threads");
    } else {
      return Usage(absl::StrCat("unknown option: ", arg));
    }
  }
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !ParseNumber<int>(listen.substr(colon + 1), 0, 65535, &port)) {
    return Usage("--listen HOST:PORT is required");
  }
  const std::string host = listen.substr(0, colon);
  if (store_dir.empty()) return Usage("--store DIR is required");
  if (admin_socket.empty()) admin_socket = store_dir + "/admin.sock";

  // Signals are taken by one thread with sigwait, so no handler runs on a server thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto store = Store::Open(store_dir);
  if (!store.ok()) return Usage(std::string(store.status().message()));
  DecisionLog log(store->DecisionLogPath(), !quiet);
  for (const auto& root : config.appraiser.snp_allowed_roots) {
    std::fprintf(stderr,
                 "pv-kbs: WARNING: SNP evidence may chain to the non-vendor root in %s "
                 "(simulated secure processor / test PKI); accepted only because configured\n",
                 root.c_str());
  }
  if (!config.appraiser.tdx_allowed_root.empty()) {
    std::fprintf(stderr,
                 "pv-kbs: WARNING: TDX evidence may chain to the non-vendor root in %s "
                 "(simulated secure processor / test PKI); accepted only because configured\n",
                 config.appraiser.tdx_allowed_root.c_str());
  }
  if (config.appraiser.allow_sample_tee) {
    std::fprintf(stderr,
                 "pv-kbs: WARNING: trustee's sample TEE is allowed (--allow-sample-tee): its "
                 "evidence proves nothing; only grants naming \"sample\" release to it\n");
  }
  auto service = KbsService::Create(std::move(*store), config, &log);
  if (!service.ok()) return Usage(std::string(service.status().message()));

  AdminServer admin(service->get(), admin_uid);
  if (absl::Status s = admin.Start(admin_socket); !s.ok()) return Usage(std::string(s.message()));

  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(kMaxAttestBodyBytes);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_max_count(100);
  InstallRoutes(&server, service->get());
  // Debian's cpp-httplib listens with a compiled-in backlog of 5, which drops connections when
  // hundreds of attesters connect at once. Keep the listening socket's fd (the options hook
  // sees it before bind) and raise the backlog afterwards; listen() on a listening socket
  // only updates the backlog.
  int listen_fd = -1;
  server.set_socket_options([&listen_fd](int fd) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    listen_fd = fd;
  });
  if (port == 0) {
    port = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) return Usage(absl::StrCat("cannot listen on ", listen));
  if (listen_fd >= 0) ::listen(listen_fd, kListenBacklog);

  std::thread waiter([&server, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
  });
  std::fprintf(stderr, "pv-kbs: admin socket %s (uid %u only)\n", admin_socket.c_str(),
               static_cast<unsigned>(admin_uid));
  std::fprintf(stderr, "pv-kbs: listening on http://%s:%d\n", host.c_str(), port);
  std::fflush(stderr);
  server.listen_after_bind();
  admin.Stop();
  // Wake the signal thread if the server stopped for another reason; every thread blocks
  // SIGTERM, so it can only be taken by that thread's sigwait.
  kill(getpid(), SIGTERM);
  waiter.join();
  std::fprintf(stderr, "pv-kbs: stopped\n");
  return 0;
}
