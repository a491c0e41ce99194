// pv-agent: the host agent daemon. Serves pv.v1.PartitionManager on a Unix socket.
//
//   pv-agent [--socket PATH] [--state-dir DIR] [--qemu BINARY] [--keep-partitions-on-exit]
//            [--proxy-spin-us US]
//
// SIGTERM/SIGINT: graceful exit (stops partitions unless --keep-partitions-on-exit).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "file_util.h"
#include "grpc_service.h"
#include "grpcpp/grpcpp.h"
#include "log.h"
#include "partition_manager.h"
#include "paths.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: pv-agent [--socket PATH] [--state-dir DIR] [--qemu BINARY]\n"
               "                [--keep-partitions-on-exit] [--proxy-spin-us US]\n"
               "defaults: --socket %s --state-dir %s --qemu qemu-system-x86_64\n",
               pv::agent::DefaultSocketPath().c_str(), pv::agent::DefaultStateDir().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pv::agent;
  std::string socket_path = DefaultSocketPath();
  AgentOptions options;
  options.state_dir = DefaultStateDir();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "pv-agent: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--socket") {
      socket_path = value("--socket");
    } else if (arg == "--state-dir") {
      options.state_dir = value("--state-dir");
    } else if (arg == "--qemu") {
      options.qemu_binary = value("--qemu");
    } else if (arg == "--proxy-spin-us") {
      int us = 0;
      if (!absl::SimpleAtoi(value("--proxy-spin-us"), &us) || us < 0 || us > 100000) {
        std::fprintf(stderr, "pv-agent: --proxy-spin-us needs 0..100000\n");
        return 2;
      }
      options.proxy_idle_spin = std::chrono::microseconds(us);
    } else if (arg == "--keep-partitions-on-exit") {
      options.keep_partitions_on_exit = true;
    } else if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    } else {
      std::fprintf(stderr, "pv-agent: unknown argument '%s'\n", arg.c_str());
      Usage();
      return 2;
    }
  }

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  PartitionManager manager(options);
  if (absl::Status s = manager.Init(); !s.ok()) {
    Log("cannot initialise state in ", options.state_dir, ": ", s.ToString());
    return 1;
  }
  const std::string socket_dir = socket_path.substr(0, socket_path.rfind('/'));
  if (!socket_dir.empty()) (void)MakeDirectories(socket_dir, 0755);
  ::unlink(socket_path.c_str());

  PartitionManagerService service(&manager);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("unix:", socket_path), grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    Log("cannot listen on ", socket_path);
    return 1;
  }
  ::chmod(socket_path.c_str(), 0660);
  Log("serving pv.v1.PartitionManager on unix:", socket_path, " (state ", options.state_dir,
      ", pid ", ::getpid(), ")");

  int sig = 0;
  sigwait(&stop_signals, &sig);
  Log("signal ", sig, ": shutting down");
  service.CloseStreams();
  manager.Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  ::unlink(socket_path.c_str());
  Log("bye");
  return 0;
}
