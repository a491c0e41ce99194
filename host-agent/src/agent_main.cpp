// pv-agent: the host agent daemon. Serves pv.v1.PartitionManager (and grpc.health.v1) on a
// Unix socket. Options and signals: see Usage() and the README's host agent section.
//
// SIGTERM/SIGINT: graceful exit (stops partitions unless --keep-partitions-on-exit).
// SIGHUP: reopens --log-file (log rotation); partitions are not touched.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "access_control.h"
#include "file_util.h"
#include "grpc_service.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_posix.h"
#include "log.h"
#include "metrics.h"
#include "partition_manager.h"
#include "paths.h"
#include "unix_socket.h"

namespace {

using namespace pv::agent;

void Usage() {
  std::fprintf(
      stderr,
      "usage: pv-agent [--config FILE] [--socket PATH] [--state-dir DIR] [--qemu BINARY]\n"
      "                [--image-dir DIR]... [--qemu-user USER] [--socket-group GROUP]\n"
      "                [--admin-group GROUP] [--log-file FILE] [--events-max-bytes N]\n"
      "                [--metrics-listen 127.0.0.1:PORT] [--keep-partitions-on-exit]\n"
      "                [--proxy-spin-us US] [--init-simulated-sp]\n"
      "                [--test-fault-kbs-relay flip-evidence|flip-runtime-data|flip-jwe|\n"
      "                                        other-partition-evidence]\n"
      "defaults: --socket %s --state-dir %s --qemu qemu-system-x86_64 --qemu-user pv-qemu\n"
      "--config FILE: one option per line without the dashes ('image-dir /srv/images'),\n"
      "               '#' starts a comment; command-line options given after it win.\n",
      DefaultSocketPath().c_str(), DefaultStateDir().c_str());
}

struct Config {
  std::string socket_path = DefaultSocketPath();
  AgentOptions options;
  std::string socket_group, admin_group, log_file, metrics_listen;
};

// Parses one option at args[i] (advancing i past its value). Returns 0, or an exit code.
int ParseOption(const std::vector<std::string>& args, size_t& i, Config& c, int depth);

int ParseConfigFile(const std::string& path, Config& c, int depth) {
  if (depth > 2) {
    std::fprintf(stderr, "pv-agent: --config nested too deeply in %s\n", path.c_str());
    return 2;
  }
  absl::StatusOr<std::string> text = ReadFileLimited(path, 1 << 20);
  if (!text.ok()) {
    std::fprintf(stderr, "pv-agent: --config: %s\n", std::string(text.status().message()).c_str());
    return 2;
  }
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const size_t space = line.find_first_of(" \t");
    std::vector<std::string> args = {absl::StrCat("--", line.substr(0, space))};
    if (space != absl::string_view::npos) {
      args.emplace_back(absl::StripAsciiWhitespace(line.substr(space)));
    }
    size_t i = 0;
    if (int rc = ParseOption(args, i, c, depth + 1); rc != 0) {
      std::fprintf(stderr, "pv-agent: in %s line %d\n", path.c_str(), line_no);
      return rc;
    }
    if (i + 1 != args.size()) {
      std::fprintf(stderr, "pv-agent: %s line %d: '%s' takes no value\n", path.c_str(), line_no,
                   args[0].c_str());
      return 2;
    }
  }
  return 0;
}

int ParseOption(const std::vector<std::string>& args, size_t& i, Config& c, int depth) {
  const std::string& arg = args[i];
  auto value = [&](std::string* out) -> bool {
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "pv-agent: %s needs a value\n", arg.c_str());
      return false;
    }
    *out = args[++i];
    return true;
  };
  std::string v;
  if (arg == "--socket") {
    if (!value(&c.socket_path)) return 2;
  } else if (arg == "--state-dir") {
    if (!value(&c.options.state_dir)) return 2;
  } else if (arg == "--qemu") {
    if (!value(&c.options.qemu_binary)) return 2;
  } else if (arg == "--image-dir") {
    if (!value(&v)) return 2;
    c.options.image_dirs.push_back(v);
  } else if (arg == "--qemu-user") {
    if (!value(&c.options.qemu_user)) return 2;
  } else if (arg == "--socket-group") {
    if (!value(&c.socket_group)) return 2;
  } else if (arg == "--admin-group") {
    if (!value(&c.admin_group)) return 2;
  } else if (arg == "--metrics-listen") {
    if (!value(&c.metrics_listen)) return 2;
  } else if (arg == "--log-file") {
    if (!value(&c.log_file)) return 2;
  } else if (arg == "--config") {
    if (!value(&v)) return 2;
    return ParseConfigFile(v, c, depth);
  } else if (arg == "--events-max-bytes") {
    uint64_t n = 0;
    if (!value(&v) || !absl::SimpleAtoi(v, &n) || n < 4096) {
      std::fprintf(stderr, "pv-agent: --events-max-bytes needs a number >= 4096\n");
      return 2;
    }
    c.options.events_max_bytes = n;
  } else if (arg == "--proxy-spin-us") {
    int us = 0;
    if (!value(&v) || !absl::SimpleAtoi(v, &us) || us < 0 || us > 100000) {
      std::fprintf(stderr, "pv-agent: --proxy-spin-us needs 0..100000\n");
      return 2;
    }
    c.options.proxy_idle_spin = std::chrono::microseconds(us);
  } else if (arg == "--keep-partitions-on-exit") {
    c.options.keep_partitions_on_exit = true;
  } else if (arg == "--init-simulated-sp") {
    c.options.init_simulated_sp = true;
  } else if (arg == "--test-fault-kbs-relay") {
    // A TEST FAULT INJECTOR (kbs_relay.h): tampers with every partition's KBS traffic.
    if (!value(&v)) return 2;
    absl::StatusOr<KbsRelayFault> fault = ParseKbsRelayFault(v);
    if (!fault.ok()) {
      std::fprintf(stderr, "pv-agent: %s\n", std::string(fault.status().message()).c_str());
      return 2;
    }
    c.options.kbs_relay_fault = *fault;
  } else if (arg == "--help" || arg == "-h") {
    Usage();
    std::exit(0);
  } else {
    std::fprintf(stderr, "pv-agent: unknown option '%s'\n", arg.c_str());
    Usage();
    return 2;
  }
  return 0;
}

// Exclusive lock on <state>/agent.lock for the agent's life; the file names the holder's pid.
absl::StatusOr<UniqueFd> LockStateDir(const std::string& state_dir) {
  const std::string path = state_dir + "/agent.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return absl::InternalError(absl::StrCat("cannot open ", path));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd.get(), buf, sizeof(buf) - 1, 0);
    std::string pid = n > 0 ? std::string(absl::StripAsciiWhitespace(std::string(buf, n))) : "?";
    return absl::FailedPreconditionError(absl::StrCat(
        "state directory ", state_dir, " is in use by another pv-agent (pid ", pid, ")"));
  }
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return fd;
}

// The socket: its directory created only if missing (an existing one is never changed), an
// existing path taken over only if it is a socket nobody answers on.
absl::StatusOr<UniqueFd> OpenAgentSocket(const std::string& path, const std::string& group,
                                         gid_t gid, struct stat* bound) {
  const std::string dir = path.substr(0, path.rfind('/'));
  struct stat st;
  if (!dir.empty() && dir != path && ::stat(dir.c_str(), &st) != 0) {
    if (absl::Status s = MakeDirectories(dir, 0755); !s.ok()) return s;
  }
  switch (ProbeSocketPath(path)) {
    case PathOccupant::kNothing:
      break;
    case PathOccupant::kStaleSocket:
      Log("removing stale socket ", path);
      ::unlink(path.c_str());
      break;
    case PathOccupant::kLiveSocket:
      return absl::FailedPreconditionError(
          absl::StrCat("another server answers on ", path, "; not taking it over"));
    case PathOccupant::kNotASocket:
      return absl::FailedPreconditionError(
          absl::StrCat(path, " exists and is not a socket; not removing it"));
  }
  // Created 0600 (umask) and only then opened up: no moment with a wider mode.
  const mode_t old_umask = ::umask(0177);
  absl::StatusOr<UniqueFd> fd = ListenUnix(path, 64);
  ::umask(old_umask);
  if (!fd.ok()) return fd.status();
  if (!group.empty() && ::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
    return absl::InternalError(absl::StrCat("cannot give ", path, " to group ", group));
  }
  ::chmod(path.c_str(), 0660);
  if (::stat(path.c_str(), bound) != 0) return absl::InternalError("socket vanished");
  return fd;
}

// Removes the socket at exit only if it is still the one this agent bound.
void RemoveOwnSocket(const std::string& path, const struct stat& bound) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && st.st_dev == bound.st_dev && st.st_ino == bound.st_ino) {
    ::unlink(path.c_str());
  } else {
    Log(path, " is no longer this agent's socket; left in place");
  }
}

// Accepts connections, records each peer's credentials, hands the connection to gRPC.
void AcceptLoop(int listener, grpc::Server* server, AccessControl* access) {
  while (true) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
        if (errno == EMFILE || errno == ENFILE) ::usleep(10000);
        continue;
      }
      return;  // listener shut down: agent exit
    }
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      ::close(fd);
      continue;
    }
    PeerCredentials peer{cred.pid, cred.uid, cred.gid};
    if (access->RoleOf(peer) == Role::kNone) {
      Log("connection from uid ", cred.uid, " pid ", cred.pid, " refused: no role");
      ::close(fd);
      continue;
    }
    access->AddConnection(fd, peer);
    grpc::AddInsecureChannelFromFd(server, fd);  // gRPC owns fd from here on
  }
}

// systemd's readiness protocol (Type=notify) without libsystemd: one datagram to
// $NOTIFY_SOCKET.
void NotifySystemd(const std::string& state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const size_t n = std::strlen(path);
  if (n >= sizeof(addr.sun_path)) return;
  std::memcpy(addr.sun_path, path, n);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return;
  (void)::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                 reinterpret_cast<sockaddr*>(&addr), offsetof(sockaddr_un, sun_path) + n);
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  config.options.state_dir = DefaultStateDir();
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    if (int rc = ParseOption(args, i, config, 0); rc != 0) return rc;
  }
  AgentOptions& options = config.options;
  if (!config.log_file.empty()) {
    if (absl::Status s = SetLogFile(config.log_file); !s.ok()) {
      std::fprintf(stderr, "pv-agent: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  auto fatal = [](const std::string& what) {
    Log(what);
    FlushLog();
    std::fprintf(stderr, "pv-agent: %s\n", what.c_str());
    return 1;
  };
  bool have_socket_group = false, have_admin_group = false;
  gid_t socket_gid = 0, admin_gid = 0;
  for (auto [name, have, gid] : {std::tie(config.socket_group, have_socket_group, socket_gid),
                                 std::tie(config.admin_group, have_admin_group, admin_gid)}) {
    if (name.empty()) continue;
    absl::StatusOr<gid_t> g = AccessControl::ResolveGroup(name);
    if (!g.ok()) return fatal(std::string(g.status().message()));
    have = true;
    gid = *g;
  }

  // Block the signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (absl::Status s = MakeDirectories(options.state_dir); !s.ok()) {
    return fatal(absl::StrCat("cannot create ", options.state_dir, ": ", s.message()));
  }
  absl::StatusOr<UniqueFd> state_lock = LockStateDir(options.state_dir);
  if (!state_lock.ok()) return fatal(std::string(state_lock.status().message()));

  struct stat bound;
  absl::StatusOr<UniqueFd> listener =
      OpenAgentSocket(config.socket_path, config.socket_group, socket_gid, &bound);
  if (!listener.ok()) {
    return fatal(
        absl::StrCat("cannot serve on ", config.socket_path, ": ", listener.status().message()));
  }

  PartitionManager manager(options);
  if (absl::Status s = manager.Init(); !s.ok()) {
    RemoveOwnSocket(config.socket_path, bound);
    return fatal(absl::StrCat("cannot initialise state in ", options.state_dir, ": ", s.message()));
  }

  AccessControl access(options.state_dir + "/audit.jsonl", have_socket_group, socket_gid,
                       have_admin_group, admin_gid);
  PartitionManagerService service(&manager, &access);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    RemoveOwnSocket(config.socket_path, bound);
    return fatal("cannot start the gRPC server");
  }
  std::unique_ptr<MetricsServer> metrics;
  if (!config.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> m =
        MetricsServer::Listen(config.metrics_listen, [&manager, &service] {
          std::string text = manager.MetricsText();
          service.latencies().AppendText(&text);
          return text;
        });
    if (!m.ok()) {
      RemoveOwnSocket(config.socket_path, bound);
      return fatal(std::string(m.status().message()));
    }
    metrics = std::move(*m);
    Log("metrics (Prometheus text) on http://", config.metrics_listen, "/metrics");
  }
  std::thread acceptor(AcceptLoop, listener->get(), server.get(), &access);
  Log("serving pv.v1.PartitionManager on unix:", config.socket_path, " (state ", options.state_dir,
      ", pid ", ::getpid(), config.socket_group.empty() ? "" : ", readers: group ",
      config.socket_group, config.admin_group.empty() ? "" : ", admins: group ", config.admin_group,
      ")");
  NotifySystemd(absl::StrCat("READY=1\nMAINPID=", ::getpid(), "\n"));

  int sig = 0;
  while (true) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    Log("SIGHUP: reopening the log", config.log_file.empty() ? " (stderr: nothing to do)" : "");
    ReopenLog();
  }
  Log("signal ", sig, ": shutting down");
  NotifySystemd("STOPPING=1\n");
  ::shutdown(listener->get(), SHUT_RDWR);
  acceptor.join();
  RemoveOwnSocket(config.socket_path, bound);
  metrics.reset();
  service.CloseStreams();
  manager.Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  Log("bye");
  FlushLog();
  return 0;
}
