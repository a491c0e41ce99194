// pvctl: command-line client of pv-agent (pv.v1.PartitionManager over a Unix socket).
//
// Exit codes: 0 ok, 1 other error, 2 usage, 3 not found, 4 already exists, 5 wrong state
// (failed precondition), 6 invalid argument, 7 agent unreachable / platform unavailable,
// 8 the partition failed or its guest did not exit with 0 (launch, wait), 9 permission denied,
// 10 resource exhausted.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "attest_command.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "launch_timeline.h"
#include "output.h"
#include "pv/v1/partition_manager.grpc.pb.h"

namespace {

using pv::pvctl::StateName;

enum ExitCode {
  kOk = 0,
  kError = 1,
  kUsage = 2,
  kNotFound = 3,
  kAlreadyExists = 4,
  kWrongState = 5,
  kInvalidArgument = 6,
  kUnavailable = 7,
  kPartitionFailed = 8,
  kPermissionDenied = 9,
  kResourceExhausted = 10,
};

// Why the agent's socket cannot be reached, for UNAVAILABLE errors: tried directly, so the
// advice matches the cause (missing, nobody listening, no permission).
std::string DiagnoseSocket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return "the socket path is too long";
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::close(fd);
  if (rc == 0) return "";
  switch (err) {
    case ENOENT:
      return absl::StrCat("no socket at ", path, ": is pv-agent running?");
    case ECONNREFUSED:
      return absl::StrCat("nobody listens on ", path, ": is pv-agent running?");
    case EACCES:
    case EPERM:
      return absl::StrCat("permission denied on ", path,
                          ": ask to be added to the agent's --socket-group");
    default:
      return absl::StrCat(path, ": ", std::strerror(err));
  }
}

constexpr char kUsageText[] =
    R"(usage: pvctl [--socket PATH] [--json] [--timeout SECONDS] COMMAND [ARGS]

commands:
  create NAME --firmware FILE [--guest FILE] [--memory MIB] [--vcpus N]
              [--platform svm-tcg|kvm-nested|sev-snp|tdx] [--cmdline TEXT]
              [--tee none|sev-snp|tdx]  (measured launch, simulated secure processor)
              [--kbs-url http://HOST:PORT --kbs-resource REPO/TYPE/TAG]...
                                (secrets from a key broker after verification; needs --tee)
              [--guest-args TEXT]
              [--kernel BZIMAGE [--initrd FILE] [--append TEXT]]   (a Linux guest)
              [--debug] [--no-console] [--autostart]
              [--restart never|on-failure|always]
  start NAME                      start a CREATED, STOPPED or FAILED partition
  stop NAME [--grace-ms MS] [--force]
  delete NAME [--force]           --force stops a running partition first
  list
  get NAME
  console NAME [-f|--follow] [--firmware] [--offset BYTES]
  events [--partition NAME] [--after SEQ] [-f|--follow]
  stats NAME
  capabilities
  attest NAME [--report-data HEX] [--out FILE]
                                  fresh evidence (SNP report / TDX quote) from the running
                                  partition's paravisor with that REPORT_DATA (64 bytes in
                                  hex; default: random); verify it with pvattest
  launch NAME --firmware FILE [create options] [--replace] [--detach]
         [--attest [--expect-sha256 HEX]]
                                  --attest: an attested launch (needs --tee and
                                  --kbs-url/--kbs-resource); prints its timeline on stderr
                                  (launch measurement, evidence verified with the KBS's
                                  verdict and checks, secret released, the guest's digest)
                                  create + start + follow the console until the guest ends
                                  (Ctrl-C: stops following, asks whether to stop the
                                  partition; --detach: returns once it is RUNNING)
  create -f SPEC.json [NAME]      the PartitionSpec as protobuf JSON (the API's format)
  pause NAME | resume NAME        QMP stop / cont (RUNNING <-> PAUSED)
  reset NAME                      a fresh QEMU on the same spec
  shutdown NAME                   ACPI power button (the guest decides)
  wait NAME --state STATE [--within SECONDS]
                                  until the partition is in STATE (created, running,
                                  paused, stopped, failed); exit 8 if it ends otherwise
  health                          grpc.health.v1 check of the agent
  completion bash                 prints a bash completion script

Options belong to their command (unknown or extra arguments are usage errors); --socket,
--json and --timeout may appear anywhere. With --json, errors are printed on stdout as
{"error": {"code": "NOT_FOUND", "message": "..."}} as well.

The socket defaults to $PV_AGENT_SOCKET, else /run/pv-agent/pv-agent.sock (root) or
$XDG_RUNTIME_DIR/pv-agent.sock. Exit codes: 0 ok, 1 error, 2 usage, 3 not found,
4 already exists, 5 wrong state, 6 invalid argument, 7 agent unreachable or platform
unavailable, 8 partition failed / guest exit code not 0, 9 permission denied, 10 resource exhausted
(e.g. the agent's disk is full).
)";

std::string DefaultSocket() {
  if (const char* env = std::getenv("PV_AGENT_SOCKET"); env != nullptr && *env) return env;
  if (::geteuid() == 0) return "/run/pv-agent/pv-agent.sock";
  if (const char* rt = std::getenv("XDG_RUNTIME_DIR"); rt != nullptr && *rt) {
    return absl::StrCat(rt, "/pv-agent.sock");
  }
  return absl::StrCat("/tmp/pv-agent-", ::geteuid(), ".sock");
}

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--x" -> value ("" for switches)
  bool Has(const std::string& key) const { return options.count(key) > 0; }
  std::string Get(const std::string& key, const std::string& def = "") const {
    auto it = options.find(key);
    return it == options.end() ? def : it->second;
  }
};

// Per command: option -> takes a value. Anything else after the command is a usage error.
const std::map<std::string, std::map<std::string, bool>>& CommandOptions() {
  static const std::map<std::string, bool> kCreate = {
      {"--firmware", true},    {"--guest", true},   {"--memory", true},      {"--vcpus", true},
      {"--platform", true},    {"--cmdline", true}, {"--guest-args", true},  {"--debug", false},
      {"--no-console", false}, {"-f", true},        {"--file", true},        {"--autostart", false},
      {"--restart", true},     {"--tee", true},     {"--kernel", true},      {"--initrd", true},
      {"--append", true},      {"--kbs-url", true}, {"--kbs-resource", true}};
  static std::map<std::string, bool> launch = [] {
    std::map<std::string, bool> m = kCreate;
    m.erase("-f");
    m.erase("--file");
    m["--replace"] = false;
    m["--detach"] = false;
    m["--attest"] = false;        // attested launch: the timeline (launch_timeline.h)
    m["--expect-sha256"] = true;  // with --attest: the digest the guest must report
    return m;
  }();
  static const std::map<std::string, std::map<std::string, bool>> options = {
      {"create", kCreate},
      {"launch", launch},
      {"start", {}},
      {"stop", {{"--grace-ms", true}, {"--force", false}}},
      {"delete", {{"--force", false}}},
      {"list", {}},
      {"get", {}},
      {"console", {{"-f", false}, {"--follow", false}, {"--firmware", false}, {"--offset", true}}},
      {"events", {{"--partition", true}, {"--after", true}, {"-f", false}, {"--follow", false}}},
      {"stats", {}},
      {"capabilities", {}},
      {"pause", {}},
      {"resume", {}},
      {"reset", {}},
      {"shutdown", {}},
      {"wait", {{"--state", true}, {"--within", true}}},
      {"health", {}},
      {"completion", {}},
      {"attest", {{"--report-data", true}, {"--out", true}}},
  };
  return options;
}

// Positional arguments each command takes: {min, max}.
std::pair<size_t, size_t> PositionalRange(const std::string& command, const Args& args) {
  if (command == "list" || command == "events" || command == "capabilities" ||
      command == "health") {
    return {0, 0};
  }
  if (command == "create" && (args.Has("-f") || args.Has("--file"))) return {0, 1};
  return {1, 1};
}

class Cli {
 public:
  Cli(std::shared_ptr<grpc::Channel> channel, bool json, int timeout_s, std::string socket)
      : channel_(channel),
        stub_(pv::v1::PartitionManager::NewStub(channel)),
        json_(json),
        timeout_s_(timeout_s),
        socket_(std::move(socket)) {}

  int Run(const std::string& command, const Args& args);

 private:
  std::unique_ptr<grpc::ClientContext> Context(bool streaming = false) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!streaming) {
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s_));
    }
    return ctx;
  }
  int Fail(const grpc::Status& s) {
    std::fprintf(stderr, "pvctl: %s\n", s.error_message().c_str());
    if (json_) {
      std::printf("%s\n", pv::pvctl::ErrorJson(s.error_code(), s.error_message()).c_str());
    }
    switch (s.error_code()) {
      case grpc::StatusCode::NOT_FOUND:
        return kNotFound;
      case grpc::StatusCode::ALREADY_EXISTS:
        return kAlreadyExists;
      case grpc::StatusCode::FAILED_PRECONDITION:
      case grpc::StatusCode::ABORTED:  // a start cancelled by a forced stop or delete
        return kWrongState;
      case grpc::StatusCode::INVALID_ARGUMENT:
        return kInvalidArgument;
      case grpc::StatusCode::PERMISSION_DENIED:
        return kPermissionDenied;
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        return kResourceExhausted;
      case grpc::StatusCode::UNAVAILABLE: {
        const std::string why = DiagnoseSocket(socket_);
        if (!why.empty()) std::fprintf(stderr, "pvctl: %s\n", why.c_str());
        return why.find("permission denied") != std::string::npos ? kPermissionDenied
                                                                  : kUnavailable;
      }
      default:
        return kError;
    }
  }
  void Progress(const std::string& text) {
    if (!json_) std::fprintf(stderr, "%s\n", text.c_str());
  }
  int PrintPartition(const pv::v1::Partition& p) {
    if (json_) {
      std::printf("%s\n", pv::pvctl::ToJson(p).c_str());
    } else {
      pv::pvctl::PrintPartitionTable({p});
    }
    return kOk;
  }
  int Create(const Args& args, const std::string& name, pv::v1::Partition* out);
  int CreateFromFile(const Args& args, pv::v1::Partition* out);
  int Simple(const std::string& command, const std::string& name);
  int Wait(const Args& args, const std::string& name);
  int Health();
  int Start(const std::string& name, pv::v1::Partition* out);
  // `cancel_on_sigint`: SIGINT (blocked by main for launch) ends the stream and is reported
  // through `interrupted`.
  int Console(const std::string& name, bool follow, bool firmware, uint64_t offset, FILE* sink,
              bool cancel_on_sigint = false, bool* interrupted = nullptr,
              const std::function<void(const std::string&)>& on_chunk = {});
  int Launch(const Args& args, const std::string& name);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pv::v1::PartitionManager::Stub> stub_;
  bool json_;
  int timeout_s_;
  std::string socket_;
};

bool ParsePlatform(const std::string& text, pv::v1::Platform* out) {
  static const std::map<std::string, pv::v1::Platform> names = {
      {"svm-tcg", pv::v1::PLATFORM_SVM_TCG},
      {"kvm-nested", pv::v1::PLATFORM_KVM_NESTED},
      {"sev-snp", pv::v1::PLATFORM_SEV_SNP},
      {"tdx", pv::v1::PLATFORM_TDX}};
  auto it = names.find(text);
  if (it == names.end()) return false;
  *out = it->second;
  return true;
}

int Cli::Create(const Args& args, const std::string& name, pv::v1::Partition* out) {
  pv::v1::CreatePartitionRequest req;
  pv::v1::PartitionSpec* spec = req.mutable_spec();
  spec->set_name(name);
  spec->set_firmware_path(args.Get("--firmware"));
  spec->set_guest_image_path(args.Get("--guest"));
  spec->set_firmware_cmdline(args.Get("--cmdline"));
  spec->set_guest_cmdline(args.Get("--guest-args"));
  spec->set_linux_kernel_path(args.Get("--kernel"));
  spec->set_linux_initrd_path(args.Get("--initrd"));
  spec->set_linux_append(args.Get("--append"));
  uint32_t number = 0;
  if (args.Has("--memory")) {
    if (!absl::SimpleAtoi(args.Get("--memory"), &number)) {
      std::fprintf(stderr, "pvctl: --memory needs a number of MiB\n");
      return kUsage;
    }
    spec->set_memory_mib(number);
  }
  if (args.Has("--vcpus")) {
    if (!absl::SimpleAtoi(args.Get("--vcpus"), &number)) {
      std::fprintf(stderr, "pvctl: --vcpus needs a number\n");
      return kUsage;
    }
    spec->set_vcpus(number);
  }
  if (args.Has("--platform")) {
    pv::v1::Platform platform;
    if (!ParsePlatform(args.Get("--platform"), &platform)) {
      std::fprintf(stderr, "pvctl: --platform must be svm-tcg, kvm-nested, sev-snp or tdx\n");
      return kUsage;
    }
    spec->set_platform(platform);
  }
  if (args.Has("--tee")) {
    const std::string tee = args.Get("--tee");
    if (tee == "none") {
      spec->set_tee(pv::v1::TEE_NONE);
    } else if (tee == "sev-snp") {
      spec->set_tee(pv::v1::TEE_SEV_SNP);
    } else if (tee == "tdx") {
      spec->set_tee(pv::v1::TEE_TDX);
    } else {
      std::fprintf(stderr, "pvctl: --tee must be none, sev-snp or tdx\n");
      return kUsage;
    }
  }
  if (args.Has("--restart")) {
    static const std::map<std::string, pv::v1::RestartPolicy> kPolicies = {
        {"never", pv::v1::RESTART_POLICY_NEVER},
        {"on-failure", pv::v1::RESTART_POLICY_ON_FAILURE},
        {"always", pv::v1::RESTART_POLICY_ALWAYS}};
    auto it = kPolicies.find(args.Get("--restart"));
    if (it == kPolicies.end()) {
      std::fprintf(stderr, "pvctl: --restart must be never, on-failure or always\n");
      return kUsage;
    }
    spec->set_restart_policy(it->second);
  }
  if (args.Has("--kbs-url") || args.Has("--kbs-resource")) {
    pv::v1::AttestationSpec* a = spec->mutable_attestation();
    a->set_kbs_url(args.Get("--kbs-url"));
    for (absl::string_view r : absl::StrSplit(args.Get("--kbs-resource"), ',', absl::SkipEmpty())) {
      a->add_resources(std::string(r));
    }
  }
  spec->set_autostart(args.Has("--autostart"));
  spec->mutable_policy()->set_debug(args.Has("--debug"));
  spec->mutable_policy()->set_suppress_console(args.Has("--no-console"));
  auto ctx = Context();
  grpc::Status s = stub_->CreatePartition(ctx.get(), req, out);
  return s.ok() ? kOk : Fail(s);
}

int Cli::Start(const std::string& name, pv::v1::Partition* out) {
  Progress(absl::StrCat("starting partition '", name, "' ..."));
  const auto begin = std::chrono::steady_clock::now();
  pv::v1::StartPartitionRequest req;
  req.set_name(name);
  auto ctx = Context();
  grpc::Status s = stub_->StartPartition(ctx.get(), req, out);
  if (!s.ok()) return Fail(s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  Progress(absl::StrFormat("partition '%s' is %s (QEMU pid %d) after %.2f s", name,
                           StateName(out->state()), out->qemu_pid(), seconds));
  return kOk;
}

int Cli::Console(const std::string& name, bool follow, bool firmware, uint64_t offset, FILE* sink,
                 bool cancel_on_sigint, bool* interrupted,
                 const std::function<void(const std::string&)>& on_chunk) {
  pv::v1::StreamConsoleRequest req;
  req.set_name(name);
  req.set_follow(follow);
  req.set_offset(offset);
  req.set_source(firmware ? pv::v1::CONSOLE_SOURCE_FIRMWARE : pv::v1::CONSOLE_SOURCE_GUEST);
  auto ctx = Context(/*streaming=*/true);
  std::atomic<bool> finished{false}, got_sigint{false};
  std::thread watcher;
  if (cancel_on_sigint) {
    watcher = std::thread([&] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      const timespec tick{0, 100 * 1000 * 1000};
      while (!finished) {
        if (sigtimedwait(&set, nullptr, &tick) == SIGINT) {
          got_sigint = true;
          ctx->TryCancel();
          return;
        }
      }
    });
  }
  auto reader = stub_->StreamConsole(ctx.get(), req);
  pv::v1::ConsoleChunk chunk;
  while (reader->Read(&chunk)) {
    std::fwrite(chunk.data().data(), 1, chunk.data().size(), sink);
    std::fflush(sink);
    if (on_chunk) on_chunk(chunk.data());
  }
  grpc::Status s = reader->Finish();
  finished = true;
  if (watcher.joinable()) watcher.join();
  if (interrupted != nullptr) *interrupted = got_sigint;
  if (got_sigint) return kOk;
  return s.ok() ? kOk : Fail(s);
}

int Cli::Launch(const Args& args, const std::string& name) {
  pv::v1::Partition created;
  if (args.Has("--replace")) {
    pv::v1::DeletePartitionRequest del;
    del.set_name(name);
    del.set_force(true);
    pv::v1::DeletePartitionResponse ignored;
    auto ctx = Context();
    grpc::Status s = stub_->DeletePartition(ctx.get(), del, &ignored);
    if (!s.ok() && s.error_code() != grpc::StatusCode::NOT_FOUND) return Fail(s);
  }
  pv::pvctl::LaunchTimeline timeline(args.Has("--attest"), args.Get("--expect-sha256"));
  Progress(absl::StrCat("creating partition '", name, "' ..."));
  if (int rc = Create(args, name, &created); rc != kOk) return rc;
  timeline.Created();
  pv::v1::Partition started;
  if (int rc = Start(name, &started); rc != kOk) return rc;
  timeline.Running(started);
  if (args.Has("--detach")) return PrintPartition(started);
  Progress("--- guest console (through the exit proxy) ---");
  // With --json the console goes to stderr so stdout stays one JSON document.
  bool interrupted = false;
  if (int rc = Console(name, /*follow=*/true, /*firmware=*/false, 0, json_ ? stderr : stdout,
                       /*cancel_on_sigint=*/true, &interrupted,
                       [&](const std::string& chunk) { timeline.Console(chunk); });
      rc != kOk) {
    return rc;
  }
  if (interrupted) {
    bool stop = false;
    if (::isatty(0)) {
      std::fprintf(stderr, "\nstop partition '%s'? [y/N] ", name.c_str());
      char answer[16] = {};
      stop = std::fgets(answer, sizeof(answer), stdin) != nullptr &&
             (answer[0] == 'y' || answer[0] == 'Y');
    }
    if (!stop) {
      std::fprintf(stderr, "partition '%s' keeps running (pvctl console %s -f; pvctl stop %s)\n",
                   name.c_str(), name.c_str(), name.c_str());
      return kOk;
    }
    pv::v1::StopPartitionRequest req;
    req.set_name(name);
    pv::v1::Partition stopped;
    auto ctx = Context();
    grpc::Status s = stub_->StopPartition(ctx.get(), req, &stopped);
    if (!s.ok()) return Fail(s);
    return PrintPartition(stopped);
  }
  Progress("--- end of console ---");
  pv::v1::GetPartitionRequest get;
  get.set_name(name);
  pv::v1::Partition final_state;
  auto ctx = Context();
  grpc::Status s = stub_->GetPartition(ctx.get(), get, &final_state);
  if (!s.ok()) return Fail(s);
  if (timeline.enabled()) {
    timeline.Finish(final_state);
    if (json_) {
      std::printf("%s\n", timeline.Json(pv::pvctl::ToJson(final_state)).c_str());
    }
    const bool ok = final_state.state() == pv::v1::PARTITION_STATE_STOPPED &&
                    final_state.exit().success() && timeline.confirmed();
    return ok ? kOk : kPartitionFailed;
  }
  if (json_) {
    std::printf("%s\n", pv::pvctl::ToJson(final_state).c_str());
  } else {
    std::string detail = final_state.failure_reason();
    if (detail.empty() && final_state.has_exit()) {
      detail = final_state.exit().success()
                   ? "guest exited with code 0"
                   : absl::StrCat("QEMU status ", final_state.exit().qemu_status());
    }
    std::fprintf(stderr, "partition '%s' is %s: %s\n", name.c_str(),
                 StateName(final_state.state()).c_str(), detail.c_str());
  }
  const bool ok =
      final_state.state() == pv::v1::PARTITION_STATE_STOPPED && final_state.exit().success();
  return ok ? kOk : kPartitionFailed;
}

int Cli::CreateFromFile(const Args& args, pv::v1::Partition* out) {
  const std::string path = args.Has("-f") ? args.Get("-f") : args.Get("--file");
  for (const char* conflicting :
       {"--firmware", "--guest", "--memory", "--vcpus", "--platform", "--cmdline", "--guest-args",
        "--debug", "--no-console", "--autostart", "--restart", "--kbs-url", "--kbs-resource"}) {
    if (args.Has(conflicting)) {
      std::fprintf(stderr, "pvctl create: %s cannot be combined with -f (put it in %s)\n",
                   conflicting, path.c_str());
      return kUsage;
    }
  }
  std::string text;
  if (!pv::pvctl::ReadSmallFile(path, 1 << 20, &text)) {
    std::fprintf(stderr, "pvctl create: cannot read %s (missing, or over 1 MiB)\n", path.c_str());
    return kUsage;
  }
  pv::v1::CreatePartitionRequest req;
  std::string error;
  if (!pv::pvctl::FromJson(text, req.mutable_spec(), &error)) {
    std::fprintf(stderr, "pvctl create: %s is not a PartitionSpec: %s\n", path.c_str(),
                 error.c_str());
    return kInvalidArgument;
  }
  if (!args.positional.empty()) req.mutable_spec()->set_name(args.positional[0]);
  auto ctx = Context();
  grpc::Status s = stub_->CreatePartition(ctx.get(), req, out);
  return s.ok() ? kOk : Fail(s);
}

int Cli::Simple(const std::string& command, const std::string& name) {
  pv::v1::Partition p;
  auto ctx = Context();
  grpc::Status s;
  if (command == "pause") {
    pv::v1::PausePartitionRequest req;
    req.set_name(name);
    s = stub_->PausePartition(ctx.get(), req, &p);
  } else if (command == "resume") {
    pv::v1::ResumePartitionRequest req;
    req.set_name(name);
    s = stub_->ResumePartition(ctx.get(), req, &p);
  } else if (command == "reset") {
    pv::v1::ResetPartitionRequest req;
    req.set_name(name);
    s = stub_->ResetPartition(ctx.get(), req, &p);
  } else {
    pv::v1::ShutdownPartitionRequest req;
    req.set_name(name);
    s = stub_->ShutdownPartition(ctx.get(), req, &p);
  }
  if (!s.ok()) return Fail(s);
  return PrintPartition(p);
}

int Cli::Wait(const Args& args, const std::string& name) {
  static const std::map<std::string, pv::v1::PartitionState> kStates = {
      {"created", pv::v1::PARTITION_STATE_CREATED},
      {"running", pv::v1::PARTITION_STATE_RUNNING},
      {"paused", pv::v1::PARTITION_STATE_PAUSED},
      {"stopped", pv::v1::PARTITION_STATE_STOPPED},
      {"failed", pv::v1::PARTITION_STATE_FAILED}};
  auto it = kStates.find(args.Get("--state"));
  if (it == kStates.end()) {
    std::fprintf(stderr,
                 "pvctl wait: --state must be created, running, paused, stopped or "
                 "failed\n");
    return kUsage;
  }
  int within = 600;
  if (args.Has("--within") && (!absl::SimpleAtoi(args.Get("--within"), &within) || within <= 0)) {
    std::fprintf(stderr, "pvctl wait: --within needs a positive number of seconds\n");
    return kUsage;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(within);
  // The event stream says when to look again; GetPartition says where the partition is.
  uint64_t after = 0;
  while (true) {
    pv::v1::GetPartitionRequest get;
    get.set_name(name);
    pv::v1::Partition p;
    auto ctx = Context();
    grpc::Status s = stub_->GetPartition(ctx.get(), get, &p);
    if (!s.ok()) return Fail(s);
    if (p.state() == it->second) return PrintPartition(p);
    const bool ended =
        p.state() == pv::v1::PARTITION_STATE_STOPPED || p.state() == pv::v1::PARTITION_STATE_FAILED;
    const bool can_still_reach = !ended || it->second == pv::v1::PARTITION_STATE_RUNNING;
    if (!can_still_reach && after > 0) {
      std::fprintf(stderr, "pvctl wait: partition '%s' is %s, not %s\n", name.c_str(),
                   StateName(p.state()).c_str(), StateName(it->second).c_str());
      if (json_) std::printf("%s\n", pv::pvctl::ToJson(p).c_str());
      return kPartitionFailed;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "pvctl wait: partition '%s' still %s after %d s\n", name.c_str(),
                   StateName(p.state()).c_str(), within);
      return kError;
    }
    pv::v1::WatchEventsRequest watch;
    watch.set_partition(name);
    watch.set_after_sequence(after);
    watch.set_follow(true);
    grpc::ClientContext wctx;
    wctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    auto reader = stub_->WatchEvents(&wctx, watch);
    pv::v1::Event e;
    // Replayed events only advance the position; the first new one ends this wait.
    while (reader->Read(&e)) after = std::max(after, e.sequence());
    (void)reader->Finish();
    if (after == 0) after = 1;
  }
}

int Cli::Health() {
  // grpc.health.v1.Health/Check through the generic stub: the request (service "") is empty
  // and the response is field 1 (status) as a varint, so no generated code is needed.
  grpc::GenericStub generic(channel_);
  auto ctx = Context();
  grpc::Slice empty(std::string(""));
  grpc::ByteBuffer request(&empty, 1), response;
  grpc::Status s;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  generic.UnaryCall(ctx.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                    &response, [&](grpc::Status status) {
                      std::lock_guard<std::mutex> lock(mu);
                      s = std::move(status);
                      done = true;
                      cv.notify_one();
                    });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  if (!s.ok()) return Fail(s);
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  // 1 = SERVING, 2 = NOT_SERVING (grpc/health/v1/health.proto).
  const int status = bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : 0;
  const char* name = status == 1 ? "SERVING" : status == 2 ? "NOT_SERVING" : "UNKNOWN";
  if (json_) {
    std::printf("{\"status\": \"%s\"}\n", name);
  } else {
    std::printf("%s\n", name);
  }
  return status == 1 ? kOk : kUnavailable;
}

int Cli::Run(const std::string& command, const Args& args) {
  const auto& pos = args.positional;
  auto need_name = [&]() -> bool {
    if (pos.empty()) {
      std::fprintf(stderr, "pvctl %s: NAME is required\n", command.c_str());
      return false;
    }
    return true;
  };
  if (command == "create") {
    pv::v1::Partition p;
    if (args.Has("-f") || args.Has("--file")) {
      if (int rc = CreateFromFile(args, &p); rc != kOk) return rc;
      return PrintPartition(p);
    }
    if (!need_name()) return kUsage;
    if (int rc = Create(args, pos[0], &p); rc != kOk) return rc;
    return PrintPartition(p);
  }
  if (command == "pause" || command == "resume" || command == "reset" || command == "shutdown") {
    return Simple(command, pos[0]);
  }
  if (command == "wait") return Wait(args, pos[0]);
  if (command == "health") return Health();
  if (command == "start") {
    if (!need_name()) return kUsage;
    pv::v1::Partition p;
    if (int rc = Start(pos[0], &p); rc != kOk) return rc;
    return PrintPartition(p);
  }
  if (command == "stop") {
    if (!need_name()) return kUsage;
    pv::v1::StopPartitionRequest req;
    req.set_name(pos[0]);
    uint32_t grace = 0;
    if (args.Has("--grace-ms") && !absl::SimpleAtoi(args.Get("--grace-ms"), &grace)) {
      std::fprintf(stderr, "pvctl: --grace-ms needs a number\n");
      return kUsage;
    }
    req.set_grace_ms(grace);
    req.set_force(args.Has("--force"));
    Progress(absl::StrCat("stopping partition '", pos[0], "'",
                          req.force() ? " (forced)" : " (graceful, then forced)", " ..."));
    pv::v1::Partition p;
    auto ctx = Context();
    grpc::Status s = stub_->StopPartition(ctx.get(), req, &p);
    if (!s.ok()) return Fail(s);
    return PrintPartition(p);
  }
  if (command == "delete") {
    if (!need_name()) return kUsage;
    pv::v1::DeletePartitionRequest req;
    req.set_name(pos[0]);
    req.set_force(args.Has("--force"));
    pv::v1::DeletePartitionResponse resp;
    auto ctx = Context();
    grpc::Status s = stub_->DeletePartition(ctx.get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (json_) {
      std::printf("{\"deleted\": \"%s\"}\n", pos[0].c_str());
    } else {
      std::printf("deleted %s\n", pos[0].c_str());
    }
    return kOk;
  }
  if (command == "list") {
    pv::v1::ListPartitionsResponse resp;
    auto ctx = Context();
    grpc::Status s = stub_->ListPartitions(ctx.get(), {}, &resp);
    if (!s.ok()) return Fail(s);
    if (json_) {
      std::printf("%s\n", pv::pvctl::ToJson(resp).c_str());
    } else {
      pv::pvctl::PrintPartitionTable({resp.partitions().begin(), resp.partitions().end()});
    }
    return kOk;
  }
  if (command == "get") {
    if (!need_name()) return kUsage;
    pv::v1::GetPartitionRequest req;
    req.set_name(pos[0]);
    pv::v1::Partition p;
    auto ctx = Context();
    grpc::Status s = stub_->GetPartition(ctx.get(), req, &p);
    if (!s.ok()) return Fail(s);
    if (json_) {
      std::printf("%s\n", pv::pvctl::ToJson(p).c_str());
    } else {
      pv::pvctl::PrintPartitionDetail(p);
    }
    return kOk;
  }
  if (command == "console") {
    if (!need_name()) return kUsage;
    uint64_t offset = 0;
    if (args.Has("--offset") && !absl::SimpleAtoi(args.Get("--offset"), &offset)) {
      std::fprintf(stderr, "pvctl: --offset needs a number\n");
      return kUsage;
    }
    return Console(pos[0], args.Has("--follow") || args.Has("-f"), args.Has("--firmware"), offset,
                   stdout);
  }
  if (command == "events") {
    pv::v1::WatchEventsRequest req;
    uint64_t after = 0;
    if (args.Has("--after") && !absl::SimpleAtoi(args.Get("--after"), &after)) {
      std::fprintf(stderr, "pvctl: --after needs a sequence number\n");
      return kUsage;
    }
    req.set_after_sequence(after);
    req.set_partition(args.Get("--partition"));
    req.set_follow(args.Has("--follow") || args.Has("-f"));
    auto ctx = Context(/*streaming=*/true);
    auto reader = stub_->WatchEvents(ctx.get(), req);
    pv::v1::Event e;
    while (reader->Read(&e)) {
      if (json_) {
        std::string line = pv::pvctl::ToJson(e);
        line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
        std::printf("%s\n", line.c_str());  // one JSON object per line
        std::fflush(stdout);
      } else {
        pv::pvctl::PrintEvent(e);
      }
    }
    grpc::Status s = reader->Finish();
    return s.ok() ? kOk : Fail(s);
  }
  if (command == "stats") {
    if (!need_name()) return kUsage;
    pv::v1::GetStatsRequest req;
    req.set_name(pos[0]);
    pv::v1::PartitionStats stats;
    auto ctx = Context();
    grpc::Status s = stub_->GetStats(ctx.get(), req, &stats);
    if (!s.ok()) return Fail(s);
    if (json_) {
      std::printf("%s\n", pv::pvctl::ToJson(stats).c_str());
    } else {
      pv::pvctl::PrintStats(stats);
    }
    return kOk;
  }
  if (command == "capabilities") {
    pv::v1::CapabilitiesResponse caps;
    auto ctx = Context();
    grpc::Status s = stub_->Capabilities(ctx.get(), {}, &caps);
    if (!s.ok()) return Fail(s);
    if (json_) {
      std::printf("%s\n", pv::pvctl::ToJson(caps).c_str());
    } else {
      pv::pvctl::PrintCapabilities(caps);
    }
    return kOk;
  }
  if (command == "attest") {
    if (!need_name()) return kUsage;
    pv::v1::AttestPartitionRequest req;
    // The agent waits a little less than this client, so its answer (even a timeout) arrives.
    const uint32_t wait_ms = static_cast<uint32_t>(timeout_s_ > 2 ? timeout_s_ - 2 : 1) * 1000;
    const std::string problem = pv::pvctl::BuildAttestRequest(
        pos[0], args.Get("--report-data"), wait_ms < 120000 ? wait_ms : 120000, &req);
    if (!problem.empty()) {
      std::fprintf(stderr, "pvctl: %s\n", problem.c_str());
      return kUsage;
    }
    pv::v1::AttestPartitionResponse resp;
    auto ctx = Context();
    grpc::Status s = stub_->AttestPartition(ctx.get(), req, &resp);
    if (!s.ok()) return Fail(s);
    return pv::pvctl::OutputEvidence(resp, args.Get("--out"), json_) ? kOk : kError;
  }
  if (command == "launch") {
    if (!need_name()) return kUsage;
    return Launch(args, pos[0]);
  }
  std::fprintf(stderr, "pvctl: unknown command '%s'\n%s", command.c_str(), kUsageText);
  return kUsage;
}

}  // namespace

int PrintBashCompletion() {
  std::string commands, cases;
  for (const auto& [command, options] : CommandOptions()) {
    absl::StrAppend(&commands, command, " ");
    std::string opts;
    for (const auto& [option, takes_value] : options) absl::StrAppend(&opts, option, " ");
    absl::StrAppend(&cases, "    ", command, ") opts=\"", opts, "\" ;;\n");
  }
  std::printf(
      "# bash completion for pvctl: eval \"$(pvctl completion bash)\"\n"
      "_pvctl() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} cmd=\"\" w opts=\"\"\n"
      "  for w in \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do\n"
      "    case $w in -*) ;; *) cmd=$w; break ;; esac\n"
      "  done\n"
      "  if [ -z \"$cmd\" ]; then\n"
      "    COMPREPLY=($(compgen -W \"%s --socket --json --timeout\" -- \"$cur\")); return\n"
      "  fi\n"
      "  case $cmd in\n%s  esac\n"
      "  if [[ $cur == -* ]]; then\n"
      "    COMPREPLY=($(compgen -W \"$opts --socket --json --timeout\" -- \"$cur\"))\n"
      "  else\n"
      "    COMPREPLY=($(compgen -W \"$(pvctl list 2>/dev/null | awk 'NR>1{print $1}')\" "
      "-f -- \"$cur\"))\n"
      "  fi\n"
      "}\n"
      "complete -F _pvctl pvctl\n",
      commands.c_str(), cases.c_str());
  return kOk;
}

int main(int argc, char** argv) {
  std::string socket = DefaultSocket();
  bool json = false;
  int timeout_s = 60;
  std::string command;
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsageText);
      return kOk;
    }
    if (a == "--json") {
      json = true;
    } else if (a == "--socket" || a == "--timeout") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "pvctl: %s needs a value\n", a.c_str());
        return kUsage;
      }
      std::string v = argv[++i];
      if (a == "--socket") {
        socket = v;
      } else if (!absl::SimpleAtoi(v, &timeout_s) || timeout_s <= 0) {
        std::fprintf(stderr, "pvctl: --timeout needs a positive number of seconds\n");
        return kUsage;
      }
    } else if (command.empty()) {
      if (a.size() > 1 && a[0] == '-') {
        std::fprintf(stderr, "pvctl: option '%s' before the command (options follow it)\n",
                     a.c_str());
        return kUsage;
      }
      command = a;
      if (CommandOptions().count(command) == 0) {
        std::fprintf(stderr, "pvctl: unknown command '%s'\n%s", command.c_str(), kUsageText);
        return kUsage;
      }
    } else if (a.size() > 1 && a[0] == '-') {
      const auto& known = CommandOptions().at(command);
      auto it = known.find(a);
      if (it == known.end()) {
        std::fprintf(stderr, "pvctl %s: unknown option '%s'\n", command.c_str(), a.c_str());
        return kUsage;
      }
      if (it->second) {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "pvctl: %s needs a value\n", a.c_str());
          return kUsage;
        }
        if (a == "--kbs-resource" && args.Has(a)) {
          args.options[a] += absl::StrCat(",", argv[++i]);  // repeatable: the list, in order
        } else {
          args.options[a] = argv[++i];
        }
      } else {
        args.options[a] = "";
      }
    } else {
      args.positional.push_back(a);
    }
  }
  if (command.empty()) {
    std::fprintf(stderr, "%s", kUsageText);
    return kUsage;
  }
  if (command == "completion") {
    if (args.positional.size() != 1 || args.positional[0] != "bash") {
      std::fprintf(stderr, "pvctl completion: only 'bash' is supported\n");
      return kUsage;
    }
    return PrintBashCompletion();
  }
  const auto [min_pos, max_pos] = PositionalRange(command, args);
  if (args.positional.size() < min_pos) {
    std::fprintf(stderr, "pvctl %s: NAME is required\n", command.c_str());
    return kUsage;
  }
  if (args.positional.size() > max_pos) {
    std::fprintf(stderr, "pvctl %s: unexpected argument '%s'\n", command.c_str(),
                 args.positional[max_pos].c_str());
    return kUsage;
  }
  if (command == "launch" && !args.Has("--detach")) {
    // Ctrl-C while following the console: handled by Console (before any gRPC thread exists,
    // so every thread inherits the mask).
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }
  auto channel =
      grpc::CreateChannel(absl::StrCat("unix:", socket), grpc::InsecureChannelCredentials());
  Cli cli(channel, json, timeout_s, socket);
  return cli.Run(command, args);
}
