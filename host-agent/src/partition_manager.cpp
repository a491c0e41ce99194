#include "partition_manager.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <random>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "capabilities.h"
#include "errno_status.h"
#include "file_util.h"
#include "google/protobuf/util/json_util.h"
#include "log.h"
#include "measured_launch.h"
#include "metrics.h"
#include "openssl/crypto.h"
#include "partition_runtime.h"
#include "qemu_process.h"
#include "shared_region.h"
#include "sim_sp_backend.h"
#include "unix_socket.h"

namespace pv::agent {

using pv::v1::PartitionState;

namespace {

constexpr uint64_t kMaxStateFile = 1 << 20;
constexpr auto kLaunchTimeout = std::chrono::seconds(15);
constexpr auto kKillWait = std::chrono::seconds(10);
constexpr auto kHealthInterval = std::chrono::seconds(3);
constexpr auto kRestartTick = std::chrono::milliseconds(250);
constexpr auto kStableRun = std::chrono::seconds(60);
constexpr auto kHealthTimeout = std::chrono::milliseconds(2000);

std::string StateName(PartitionState s) {
  std::string name = pv::v1::PartitionState_Name(s);
  return absl::StartsWith(name, "PARTITION_STATE_") ? name.substr(16) : name;
}

// QEMU runs (vCPUs running or paused).
bool IsLive(PartitionState s) {
  return s == pv::v1::PARTITION_STATE_RUNNING || s == pv::v1::PARTITION_STATE_PAUSED;
}

absl::Status WrongState(const pv::v1::Partition& p, const std::string& call,
                        const std::string& allowed) {
  return absl::FailedPreconditionError(absl::StrCat("partition '", p.spec().name(), "' is ",
                                                    StateName(p.state()), "; ", call, " needs ",
                                                    allowed));
}

std::string NewUuid() {
  std::random_device rd;
  std::uniform_int_distribution<uint32_t> dist;
  uint32_t w[4] = {dist(rd), dist(rd), dist(rd), dist(rd)};
  w[1] = (w[1] & 0xffff0fffu) | 0x00004000u;  // version 4
  w[2] = (w[2] & 0x3fffffffu) | 0x80000000u;  // variant 1
  return absl::StrFormat("%08x-%04x-%04x-%04x-%04x%08x", w[0], w[1] >> 16, w[1] & 0xffff,
                         w[2] >> 16, w[2] & 0xffff, w[3]);
}

// Last line of the paravisor log containing `needle` ("PV-RESULT:" by default), or "".
std::string LastResultLine(const std::string& firmware_log, const char* needle = "PV-RESULT:") {
  std::ifstream in(firmware_log);
  std::string line, result;
  size_t lines = 0;
  while (std::getline(in, line) && ++lines < 1000000) {
    if (absl::StrContains(line, needle)) result = line;
  }
  while (!result.empty() && (result.back() == '\r' || result.back() == '\n')) result.pop_back();
  return result;
}

std::string LastLines(const std::string& path, size_t max_bytes) {
  absl::StatusOr<std::string> text = ReadFileLimited(path, 16 << 20);
  if (!text.ok() || text->empty()) return "";
  std::string tail = text->size() > max_bytes ? text->substr(text->size() - max_bytes) : *text;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  return tail;
}

// The Linux-guest fields: a kernel replaces guest_image_path, an initrd needs a kernel, and the
// kernel's command line is bounded. Commas are allowed in linux_append (QEMU's module separator:
// BuildQemuArgs doubles them); NUL bytes are not.
template <typename CheckFile>
absl::Status ValidateLinuxGuest(pv::v1::PartitionSpec* spec, const CheckFile& check_file) {
  if (spec->linux_kernel_path().empty()) {
    if (!spec->linux_initrd_path().empty() || !spec->linux_append().empty()) {
      return absl::InvalidArgumentError(
          "spec.linux_initrd_path / spec.linux_append need spec.linux_kernel_path");
    }
    return absl::OkStatus();
  }
  if (!spec->guest_image_path().empty()) {
    return absl::InvalidArgumentError(
        "spec.linux_kernel_path and spec.guest_image_path are mutually exclusive");
  }
  if (absl::Status s = check_file("spec.linux_kernel_path", spec->mutable_linux_kernel_path());
      !s.ok()) {
    return s;
  }
  if (!spec->linux_initrd_path().empty()) {
    if (absl::Status s = check_file("spec.linux_initrd_path", spec->mutable_linux_initrd_path());
        !s.ok()) {
      return s;
    }
  }
  if (spec->linux_append().size() > 2047) {
    return absl::InvalidArgumentError("spec.linux_append is longer than 2047 bytes");
  }
  if (spec->linux_append().find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("spec.linux_append contains a NUL byte");
  }
  if (spec->guest_cmdline().find(" -- ") != std::string::npos) {
    return absl::InvalidArgumentError("spec.guest_cmdline must not contain \" -- \"");
  }
  for (const std::string* path : {&spec->linux_kernel_path(), &spec->linux_initrd_path()}) {
    if (path->find_first_of(std::string(", \0", 3)) != std::string::npos) {
      return absl::InvalidArgumentError(
          "spec.linux_kernel_path / spec.linux_initrd_path must not contain commas or spaces");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PartitionManager::ValidateSpec(pv::v1::PartitionSpec* spec) const {
  static const std::regex kName("[a-z0-9][a-z0-9._-]{0,62}");
  if (spec->name().empty()) return absl::InvalidArgumentError("spec.name is required");
  if (spec->name().size() > 63 || !std::regex_match(spec->name(), kName)) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.name '", Clip(spec->name()), "' must match [a-z0-9][a-z0-9._-]{0,62}"));
  }
  // The longest socket of a partition must fit a Unix socket address.
  const std::string qmp = absl::StrCat(partitions_dir_, "/", spec->name(), "/qmp.sock");
  if (qmp.size() > MaxSocketPathLength()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec.name '", spec->name(), "' is too long for this state directory: its QMP socket path ",
        "would have ", qmp.size(), " bytes, more than the ", MaxSocketPathLength(),
        " a Unix socket path can have"));
  }
  absl::StatusOr<std::string> firmware =
      images_->Check("spec.firmware_path", spec->firmware_path(), ImageKind::kFirmware);
  if (!firmware.ok()) return firmware.status();
  spec->set_firmware_path(*firmware);
  if (!spec->guest_image_path().empty()) {
    absl::StatusOr<std::string> guest =
        images_->Check("spec.guest_image_path", spec->guest_image_path(), ImageKind::kGuest);
    if (!guest.ok()) return guest.status();
    spec->set_guest_image_path(*guest);
  }
  auto check_guest = [this](const std::string& field, std::string* path) -> absl::Status {
    absl::StatusOr<std::string> resolved = images_->Check(field, *path, ImageKind::kGuest);
    if (!resolved.ok()) return resolved.status();
    *path = *resolved;
    return absl::OkStatus();
  };
  if (absl::Status s = ValidateLinuxGuest(spec, check_guest); !s.ok()) return s;
  if (spec->memory_mib() == 0) spec->set_memory_mib(256);
  if (spec->memory_mib() < 16 || spec->memory_mib() > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.memory_mib ", spec->memory_mib(), " is outside 16..4096"));
  }
  if (spec->vcpus() == 0) spec->set_vcpus(1);
  if (spec->vcpus() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.vcpus ", spec->vcpus(),
                     " is not supported: the paravisor runs one vCPU (spec.vcpus must be 1)"));
  }
  if (spec->platform() == pv::v1::PLATFORM_UNSPECIFIED) {
    spec->set_platform(pv::v1::PLATFORM_SVM_TCG);
  }
  if (!pv::v1::Platform_IsValid(spec->platform())) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.platform ", spec->platform(), " is unknown"));
  }
  if (!pv::v1::RestartPolicy_IsValid(spec->restart_policy())) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.restart_policy ", spec->restart_policy(), " is unknown"));
  }
  if (absl::Status s = ValidateAttestationSpec(*spec); !s.ok()) return s;
  if (const std::optional<std::string> word = FirmwareTeeWord(spec->firmware_cmdline());
      word.has_value() && spec->tee() != pv::v1::TEE_NONE) {
    const char* want = spec->tee() == pv::v1::TEE_TDX ? "tdx" : "sev-snp";
    if (*word != want) {
      return absl::InvalidArgumentError(
          absl::StrCat("spec.firmware_cmdline says tee=", word->substr(0, 16), " but spec.tee is ",
                       want, " (leave tee= out: the agent adds what spec.tee needs)"));
    }
  }
  if (absl::Status s = ValidateMeasuredLaunchSpec(*spec); !s.ok()) return s;
  if (spec->firmware_cmdline().size() > 4096) {
    return absl::InvalidArgumentError("spec.firmware_cmdline is longer than 4096 bytes");
  }
  if (spec->firmware_cmdline().find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("spec.firmware_cmdline contains a NUL byte");
  }
  if (spec->guest_cmdline().size() > 1024) {
    return absl::InvalidArgumentError("spec.guest_cmdline is longer than 1024 bytes");
  }
  // QEMU separates multiboot modules with commas: one in the command line would add a module.
  if (spec->guest_cmdline().find_first_of(std::string(",\0", 2)) != std::string::npos) {
    return absl::InvalidArgumentError("spec.guest_cmdline must not contain commas or NUL bytes");
  }
  return absl::OkStatus();
}

PartitionManager::PartitionManager(AgentOptions options)
    : options_(std::move(options)),
      partitions_dir_(options_.state_dir + "/partitions"),
      events_(options_.state_dir + "/events.jsonl", options_.events_max_bytes),
      sim_platforms_(options_.state_dir + "/simulated-sp") {}

PartitionManager::~PartitionManager() {
  Shutdown();
}

absl::Status PartitionManager::Init() {
  if (absl::Status s = MakeDirectories(partitions_dir_); !s.ok()) return s;
  absl::StatusOr<ImagePolicy> images = ImagePolicy::Create(options_.image_dirs);
  if (!images.ok()) return images.status();
  images_ = std::make_unique<ImagePolicy>(std::move(*images));
  if (::geteuid() == 0) {
    absl::StatusOr<Confinement> c = ResolveQemuUser(options_.qemu_user, /*create=*/true);
    if (!c.ok()) return c.status();
    confinement_ = *c;
    confinement_.own_network_namespace = true;
    // The jail needs mount namespaces, which a container may forbid: probe once, and say what
    // QEMU runs without rather than failing every start.
    const std::string probe_root = absl::StrCat(options_.state_dir, "/jail-probe");
    (void)::mkdir(probe_root.c_str(), 0700);
    absl::Status jail = ProbeJail(probe_root);
    (void)::rmdir(probe_root.c_str());
    confinement_.jail = jail.ok();
    if (jail.ok()) {
      Log("QEMU runs as ", options_.qemu_user, " (uid ", c->uid,
          ") in its own network namespace and a mount-namespace jail (/usr read-only, no /etc, "
          "/home, /root or state directory)");
    } else {
      Log("QEMU runs as ", options_.qemu_user, " (uid ", c->uid,
          ") in its own network namespace, WITHOUT a mount-namespace jail: this host does not "
          "permit one (",
          jail.message(), "); QEMU sees what any unprivileged user may read");
    }
  } else {
    Log("pv-agent is not root: QEMU runs as the agent's user under -sandbox with its files as "
        "descriptors, without a separate user, network namespace or mount-namespace jail");
  }
  if (options_.init_simulated_sp) {
    // Both personalities' hierarchies now, so a KBS can be given their roots before any
    // partition runs.
    if (absl::StatusOr<const attest::simsp::SimulatedAmdSp*> amd = sim_platforms_.Amd(); !amd.ok()) {
      return amd.status();
    }
    if (absl::StatusOr<const attest::simsp::SimulatedTdxQuoting*> tdx = sim_platforms_.Tdx();
        !tdx.ok()) {
      return tdx.status();
    }
    Log("simulated secure processors (test platforms, not trust anchors): key hierarchies ready "
        "in ", SimulatedSpDir(), " and ", sim_platforms_.TdxDir());
  }
  if (options_.kbs_relay_fault != KbsRelayFault::kNone) {
    Log("WARNING: TEST FAULT INJECTOR --test-fault-kbs-relay=",
        KbsRelayFaultName(options_.kbs_relay_fault),
        " is active: every partition's KBS traffic is tampered with");
  }
  if (absl::Status s = events_.Load(); !s.ok()) return s;
  capabilities_ = ProbeCapabilities(options_.qemu_binary);
  DIR* dir = ::opendir(partitions_dir_.c_str());
  if (dir == nullptr) return absl::InternalError(absl::StrCat("cannot list ", partitions_dir_));
  std::vector<std::string> names, trash;
  while (dirent* entry = ::readdir(dir)) {
    std::string n = entry->d_name;
    if (n == "." || n == "..") continue;
    // Directories a delete renamed aside (removal interrupted by a crash): finish it.
    (absl::StartsWith(n, ".deleted-") ? trash : names).push_back(n);
  }
  ::closedir(dir);
  for (const std::string& t : trash) (void)RemoveTree(absl::StrCat(partitions_dir_, "/", t));
  absl::MutexLock lock(&mu_);
  for (const std::string& n : names) LoadPartition(n);
  Log("loaded ", partitions_.size(), " partitions from ", partitions_dir_);
  for (const auto& [name, p] : partitions_) {
    const pv::v1::Tee tee = p->record.spec().tee();
    if (tee != pv::v1::TEE_NONE) {
      sim_platforms_.WarmUp(tee == pv::v1::TEE_SEV_SNP, tee == pv::v1::TEE_TDX);
    }
    const PartitionState s = p->record.state();
    if (p->record.spec().autostart() && !p->quarantined &&
        (s == pv::v1::PARTITION_STATE_CREATED || s == pv::v1::PARTITION_STATE_STOPPED ||
         s == pv::v1::PARTITION_STATE_FAILED)) {
      restarts_.emplace_back(std::chrono::steady_clock::now(), name);
    }
  }
  health_thread_ = std::thread([this] { HealthLoop(); });
  return absl::OkStatus();
}

void PartitionManager::HealthLoop() {
  auto next_health = std::chrono::steady_clock::now() + kHealthInterval;
  while (true) {
    std::vector<std::shared_ptr<Partition>> live;
    std::vector<std::string> due;
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return shutting_down_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::FromChrono(kRestartTick))) {
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      for (auto it = restarts_.begin(); it != restarts_.end();) {
        if (it->first <= now) {
          due.push_back(it->second);
          it = restarts_.erase(it);
        } else {
          ++it;
        }
      }
      if (now >= next_health) {
        next_health = now + kHealthInterval;
        for (const auto& [name, p] : partitions_) {
          if (IsLive(p->record.state()) && p->qmp != nullptr) live.push_back(p);
        }
      }
    }
    for (const std::string& name : due) {
      absl::StatusOr<pv::v1::Partition> started = Start(name);
      Log(name, ": automatic start: ", started.ok() ? "RUNNING" : started.status().ToString());
    }
    for (const auto& p : live) CheckHealth(p);
  }
}

void PartitionManager::CheckHealth(const std::shared_ptr<Partition>& p) {
  std::shared_ptr<QmpClient> qmp;
  {
    absl::MutexLock lock(&mu_);
    qmp = p->qmp;
  }
  if (qmp == nullptr) return;
  std::string health;
  {
    // A lifecycle call using QMP right now answers for liveness itself.
    if (!p->qmp_mu.TryLock()) return;
    absl::StatusOr<nlohmann::json> status = qmp->Execute("query-status", nullptr, kHealthTimeout);
    p->qmp_mu.Unlock();
    if (!status.ok()) {
      health = absl::StrCat("QMP unresponsive: ", status.status().message());
    } else {
      const std::string qemu_status =
          status->is_object() && status->contains("status") && (*status)["status"].is_string()
              ? (*status)["status"].get<std::string>()
              : "unknown";
      health = qemu_status == "running" || qemu_status == "paused"
                   ? "ok"
                   : absl::StrCat("QEMU reports status ", Clip(qemu_status, 40));
    }
  }
  absl::MutexLock lock(&mu_);
  if (!IsLive(p->record.state()) || p->record.health() == health) return;
  p->record.set_health(health);
  (void)Persist(*p);
  events_.Append(p->name(), pv::v1::EVENT_TYPE_STATE_CHANGED, p->record.state(),
                 absl::StrCat("health: ", health));
  Log(p->name(), ": health ", health);
}

void PartitionManager::LoadPartition(const std::string& n) {
  const std::string pdir = absl::StrCat(partitions_dir_, "/", n);
  pv::v1::Partition record;
  std::string problem;
  bool from_backup = false;
  // partition.json, else the previous version kept by Persist.
  for (const char* file : {"partition.json", "partition.json.prev"}) {
    absl::StatusOr<std::string> json =
        ReadFileLimited(absl::StrCat(pdir, "/", file), kMaxStateFile);
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;
    pv::v1::Partition candidate;
    if (json.ok() && google::protobuf::util::JsonStringToMessage(*json, &candidate, opts).ok() &&
        candidate.spec().name() == n) {
      from_backup = !problem.empty();
      if (from_backup) Log(n, ": partition.json unreadable, using ", file);
      record = std::move(candidate);
      problem.clear();
      break;
    }
    if (problem.empty()) problem = absl::StrCat(file, " unreadable");
  }
  // The QEMU of this partition, if one is known from any file: the record or qemu.pid.
  pid_t pid = static_cast<pid_t>(record.qemu_pid());
  std::string uuid = record.uuid();
  if (absl::StatusOr<std::string> pidfile = ReadFileLimited(pdir + "/qemu.pid", 4096);
      pidfile.ok()) {
    std::vector<std::string> parts = absl::StrSplit(*pidfile, ' ');
    int64_t recorded = 0;
    if (parts.size() == 2 && absl::SimpleAtoi(parts[0], &recorded) && recorded > 0) {
      if (pid == 0 || uuid.empty()) pid = static_cast<pid_t>(recorded);
      if (uuid.empty()) uuid = std::string(absl::StripAsciiWhitespace(parts[1]));
    }
  }
  if (problem.empty()) {
    pv::v1::PartitionSpec spec = record.spec();
    if (absl::Status s = ValidateSpec(&spec); !s.ok()) {
      problem = absl::StrCat("recorded spec is invalid: ", s.message());
    }
  }
  if (!problem.empty()) {
    // Quarantine: keep the name (so it cannot be re-created next to a live QEMU), stop the
    // QEMU it may have, and say why.
    if (record.spec().name() != n) {
      record.Clear();
      record.mutable_spec()->set_name(n);
    }
    record.set_uuid(uuid);
    std::string detail = absl::StrCat("quarantined: ", problem);
    if (!uuid.empty()) {
      if (absl::StatusOr<UniqueFd> fd = AdoptProcess(pid, uuid); fd.ok()) {
        SendSignal(fd->get(), SIGKILL);
        pollfd pfd{fd->get(), POLLIN, 0};
        ::poll(&pfd, 1, static_cast<int>(std::chrono::milliseconds(kKillWait).count()));
        absl::StrAppend(&detail, "; its QEMU (pid ", pid, ") was stopped");
      }
    }
    record.set_qemu_pid(0);
    record.set_state(pv::v1::PARTITION_STATE_FAILED);
    auto p = std::make_shared<Partition>(this, std::move(record), pdir);
    p->quarantined = true;
    partitions_[n] = p;
    SetState(*p, pv::v1::PARTITION_STATE_FAILED, pv::v1::EVENT_TYPE_STATE_CHANGED, detail);
    return;
  }
  if (record.qemu_pid() == 0 && pid > 0) record.set_qemu_pid(pid);
  // The previous version of a running partition's record is the one written while it started
  // (with the pid): a QEMU still alive under that UUID got past the start.
  if (from_backup && record.state() == pv::v1::PARTITION_STATE_STARTING &&
      AdoptProcess(static_cast<pid_t>(record.qemu_pid()), record.uuid()).ok()) {
    record.set_state(pv::v1::PARTITION_STATE_RUNNING);
  }
  auto p = std::make_shared<Partition>(this, std::move(record), pdir);
  partitions_[n] = p;
  const PartitionState s = p->record.state();
  if (IsLive(s) || s == pv::v1::PARTITION_STATE_STARTING || s == pv::v1::PARTITION_STATE_STOPPING) {
    Reattach(p);
  }
}

std::shared_ptr<Partition> PartitionManager::Find(const std::string& name) {
  auto it = partitions_.find(name);
  return it == partitions_.end() ? nullptr : it->second;
}

absl::Status PartitionManager::Persist(const Partition& p) {
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(p.record, &json, opts).ok()) {
    return absl::InternalError("cannot serialise partition record");
  }
  // The previous version stays as partition.json.prev: one bad write (or a file cut short by
  // the disk) cannot lose the record.
  const std::string path = p.PathOf("partition.json");
  if (::link(path.c_str(), (path + ".prev.tmp").c_str()) == 0) {
    (void)::rename((path + ".prev.tmp").c_str(), (path + ".prev").c_str());
  } else {
    ::unlink((path + ".prev.tmp").c_str());
  }
  absl::Status s = WriteFileAtomically(path, json);
  if (!s.ok()) Log(p.name(), ": cannot persist state: ", s.ToString());
  return s;
}

void PartitionManager::SetState(Partition& p, PartitionState state, pv::v1::EventType type,
                                const std::string& detail) {
  p.record.set_state(state);
  if (state == pv::v1::PARTITION_STATE_FAILED) p.record.set_failure_reason(detail);
  (void)Persist(p);
  events_.Append(p.name(), type, state, detail);
  Log(p.name(), ": ", StateName(state), detail.empty() ? "" : " (", detail,
      detail.empty() ? "" : ")");
}

absl::StatusOr<pv::v1::Partition> PartitionManager::Create(pv::v1::PartitionSpec spec) {
  if (absl::Status s = ValidateSpec(&spec); !s.ok()) return s;
  if (absl::Status s = CheckPlatform(capabilities_, spec.platform()); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return absl::UnavailableError("agent is shutting down");
  if (Find(spec.name()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("partition '", spec.name(), "' already exists"));
  }
  const std::string pdir = absl::StrCat(partitions_dir_, "/", spec.name());
  (void)RemoveTree(pdir);  // leftovers of a partition deleted while the agent crashed
  if (absl::Status s = MakeDirectories(pdir); !s.ok()) return s;
  pv::v1::Partition record;
  *record.mutable_spec() = spec;
  record.set_state(pv::v1::PARTITION_STATE_CREATED);
  record.set_created_unix_ms(UnixMillisNow());
  record.set_uuid(NewUuid());
  record.set_console_log_path(pdir + "/console.log");
  record.set_firmware_log_path(pdir + "/firmware.log");
  auto p = std::make_shared<Partition>(this, std::move(record), pdir);
  if (absl::Status s = Persist(*p); !s.ok()) {
    (void)RemoveTree(pdir);
    return s;
  }
  partitions_[spec.name()] = p;
  if (spec.tee() != pv::v1::TEE_NONE) {
    sim_platforms_.WarmUp(spec.tee() == pv::v1::TEE_SEV_SNP, spec.tee() == pv::v1::TEE_TDX);
  }
  events_.Append(spec.name(), pv::v1::EVENT_TYPE_CREATED, pv::v1::PARTITION_STATE_CREATED, "");
  Log(spec.name(), ": created (", p->record.uuid(), ")");
  return p->record;
}

absl::StatusOr<pv::v1::Partition> PartitionManager::Start(const std::string& name) {
  std::shared_ptr<Partition> p;
  std::thread old_supervisor;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return absl::UnavailableError("agent is shutting down");
    p = Find(name);
    if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
    const PartitionState s = p->record.state();
    if (s != pv::v1::PARTITION_STATE_CREATED && s != pv::v1::PARTITION_STATE_STOPPED &&
        s != pv::v1::PARTITION_STATE_FAILED) {
      return WrongState(p->record, "StartPartition", "CREATED, STOPPED or FAILED");
    }
    if (p->quarantined) {
      return absl::FailedPreconditionError(absl::StrCat("partition '", name, "' is quarantined (",
                                                        Clip(p->record.failure_reason(), 200),
                                                        "); delete it and create it again"));
    }
    old_supervisor = std::move(p->supervisor);
    p->stop_requested = false;
    p->start_cancelled = false;
    p->guest_reported = false;
    p->last_proxy_stats = {};
    p->record.clear_exit();
    p->record.clear_failure_reason();
    p->record.set_stopped_unix_ms(0);
    SetState(*p, pv::v1::PARTITION_STATE_STARTING, pv::v1::EVENT_TYPE_STATE_CHANGED, "");
  }
  if (old_supervisor.joinable()) old_supervisor.join();
  absl::Status launched = Launch(p);
  absl::MutexLock lock(&mu_);
  if (!launched.ok()) {
    p->record.set_stopped_unix_ms(UnixMillisNow());
    p->record.set_qemu_pid(0);
    if (p->start_cancelled) {
      SetState(*p, pv::v1::PARTITION_STATE_STOPPED, pv::v1::EVENT_TYPE_STATE_CHANGED,
               "start cancelled");
      return absl::AbortedError(
          absl::StrCat("start of partition '", name, "' was cancelled by a forced stop or delete"));
    }
    SetState(*p, pv::v1::PARTITION_STATE_FAILED, pv::v1::EVENT_TYPE_STATE_CHANGED,
             std::string(launched.message()));
    return launched;
  }
  return p->record;
}

pv::v1::CapabilitiesResponse PartitionManager::Capabilities() const {
  pv::v1::CapabilitiesResponse caps = capabilities_;
  DescribeSimulatedTees(sim_platforms_, &caps);
  return caps;
}

absl::StatusOr<MeasuredLaunch> PartitionManager::PrepareMeasuredLaunch(
    Partition& p, const MeasuredLaunchImages& images) {
  pv::v1::PartitionSpec spec;
  {
    absl::MutexLock lock(&mu_);
    spec = p.record.spec();
  }
  // Only the personality's hierarchy (waits if its background generation is still running).
  absl::StatusOr<SimulatedPlatforms::ForPartition> platform =
      sim_platforms_.For(spec.tee() == pv::v1::TEE_TDX);
  if (!platform.ok()) return platform.status();
  absl::StatusOr<std::unique_ptr<SimulatedSpBackend>> backend =
      SimulatedSpBackend::Create(platform->amd, platform->tdx, spec, attest::measure::Sha384{});
  if (!backend.ok()) return backend.status();
  std::vector<uint8_t> secrets = (*backend)->SecretsPage();
  absl::StatusOr<MeasuredLaunch> launch = WriteMeasuredLaunch(
      spec, images, MeasuredLaunchPaths{p.PathOf("guest-ram.mem"), p.PathOf("reset.rom")}, secrets,
      confinement_.uid, confinement_.gid);
  OPENSSL_cleanse(secrets.data(), secrets.size());
  if (!launch.ok()) return launch.status();
  const attest::measure::LaunchMeasurement* m = &launch->measurement;
  (*backend)->server().SetMeasurement(m->snp_launch_digest, m->tdx_mrtd);
  // The simulated SP's state outlives an agent restart (re-attach): sim_sp_backend.h.
  if (absl::Status s = (*backend)->server().PersistTo(p.PathOf(kSimulatedSpStateFile)); !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&mu_);
  p.attestation = *std::move(backend);
  if (spec.has_attestation()) {
    p.kbs_relay = std::make_shared<HttpKbsRelay>(spec.name(), spec.attestation().kbs_url(),
                                                 SimulatedSpDir(), options_.kbs_relay_fault);
  }
  pv::v1::LaunchMeasurement* out = p.record.mutable_measurement();
  out->set_snp_launch_digest(attest::measure::HexDigest(m->snp_launch_digest));
  out->set_tdx_mrtd(attest::measure::HexDigest(m->tdx_mrtd));
  out->set_pages(m->pages);
  out->set_platform(spec.tee() == pv::v1::TEE_TDX ? attest::simsp::kSimulatedTdxName
                                                  : attest::simsp::kSimulatedAmdSpName);
  if (absl::Status s = Persist(p); !s.ok()) return s;
  return launch;
}

absl::Status PartitionManager::Launch(std::shared_ptr<Partition> p) {
  pv::v1::Partition record;
  {
    absl::MutexLock lock(&mu_);
    record = p->record;
  }
  QemuPaths paths{options_.qemu_binary, p->PathOf("firmware.log"), p->PathOf("qemu.log"),
                  p->PathOf("qmp.sock"), ""};
  ::unlink(paths.qmp_socket.c_str());
  ::unlink(p->PathOf("qemu.pid").c_str());
  // The images as checked now (they may have changed since create), in sealed memfds.
  absl::StatusOr<UniqueFd> firmware = images_->OpenSealed(
      "spec.firmware_path", record.spec().firmware_path(), ImageKind::kFirmware);
  if (!firmware.ok()) return firmware.status();
  absl::StatusOr<UniqueFd> guest_image = UniqueFd();
  if (!record.spec().guest_image_path().empty()) {
    guest_image = images_->OpenSealed("spec.guest_image_path", record.spec().guest_image_path(),
                                      ImageKind::kGuest);
    if (!guest_image.ok()) return guest_image.status();
  }
  absl::StatusOr<UniqueFd> linux_kernel = UniqueFd();
  absl::StatusOr<UniqueFd> linux_initrd = UniqueFd();
  if (!record.spec().linux_kernel_path().empty()) {
    linux_kernel = images_->OpenSealed("spec.linux_kernel_path", record.spec().linux_kernel_path(),
                                       ImageKind::kGuest);
    if (!linux_kernel.ok()) return linux_kernel.status();
  }
  if (!record.spec().linux_initrd_path().empty()) {
    linux_initrd = images_->OpenSealed("spec.linux_initrd_path", record.spec().linux_initrd_path(),
                                       ImageKind::kGuest);
    if (!linux_initrd.ok()) return linux_initrd.status();
  }
  std::optional<MeasuredLaunch> measured;
  if (record.spec().tee() != pv::v1::TEE_NONE) {
    // Every page written and measured before QEMU exists (measured_launch.h), from the sealed
    // copies just checked.
    MeasuredLaunchImages launch_images{absl::StrCat("/proc/self/fd/", firmware->get()), ""};
    if (guest_image->valid()) {
      launch_images.guest = absl::StrCat("/proc/self/fd/", guest_image->get());
    }
    absl::StatusOr<MeasuredLaunch> written = PrepareMeasuredLaunch(*p, launch_images);
    if (!written.ok()) return written.status();
    measured = *std::move(written);
  }
  UniqueFd serial(
      ::open(paths.firmware_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!serial.valid()) return ErrnoStatus("create", paths.firmware_log);
  p->ResetConsole(record.spec().policy().suppress_console());
  absl::StatusOr<std::unique_ptr<CounterFile>> counters =
      CounterFile::Create(p->PathOf("counters.mem"));
  if (!counters.ok()) return counters.status();
  std::shared_ptr<CounterFile> counter_file = *std::move(counters);
  p->AttachCounters(counter_file, /*restore=*/false);
  absl::StatusOr<SharedRegion> region =
      SharedRegion::Create(p->PathOf("shared.mem"), record.spec().vcpus());
  if (!region.ok()) return region.status();
  UniqueFd qemu_ivshmem_end;
  absl::StatusOr<IvshmemServer> ivshmem = IvshmemServer::Pair(&qemu_ivshmem_end);
  if (!ivshmem.ok()) return ivshmem.status();
  absl::StatusOr<UniqueFd> qmp_listener = ListenUnix(paths.qmp_socket, 4);
  if (!qmp_listener.ok()) return qmp_listener.status();
  SpawnOptions spawn;
  spawn.confinement = confinement_;
  absl::StatusOr<JailPlan> jail;
  if (confinement_.jail) {
    // The mount point: an empty directory of the partition's (the tmpfs on it exists only in
    // QEMU's mount namespace).
    const std::string jail_root = p->PathOf("jail");
    if (::mkdir(jail_root.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus("create", jail_root);
    }
    jail = PlanJail(jail_root, options_.qemu_binary,
                    record.spec().platform() == pv::v1::PLATFORM_KVM_NESTED);
    if (!jail.ok()) return jail.status();
    spawn.jail = &*jail;
  }
  QemuFds fds;
  auto inherit = [&spawn](int fd) {
    spawn.inherit_fds.push_back(fd);
    return kFirstInheritedFd + static_cast<int>(spawn.inherit_fds.size()) - 1;
  };
  fds.firmware_image = inherit(firmware->get());
  if (guest_image->valid()) fds.guest_image = inherit(guest_image->get());
  fds.serial_log = inherit(serial.get());
  fds.qmp_listener = inherit(qmp_listener->get());
  fds.ivshmem = inherit(qemu_ivshmem_end.get());
  if (linux_kernel->valid()) fds.linux_kernel = inherit(linux_kernel->get());
  if (linux_initrd->valid()) fds.linux_initrd = inherit(linux_initrd->get());
  if (measured.has_value()) {
    fds.launch_ram = inherit(measured->ram.get());
    fds.reset_rom = inherit(measured->reset_rom.get());
  }
  absl::StatusOr<SpawnedProcess> proc =
      SpawnProcess(BuildQemuArgs(record, paths, fds), paths.qemu_log, spawn);
  if (!proc.ok()) return proc.status();
  // QEMU holds its copies now; ours would keep a dead QEMU's sockets looking alive.
  qmp_listener->Reset();
  qemu_ivshmem_end.Reset();
  auto pidfd = std::make_shared<UniqueFd>(std::move(proc->pidfd));
  const pid_t pid = proc->pid;
  // qemu.pid (pid and UUID) is written before anything can fail or the agent can crash, and
  // apart from partition.json: whatever happens to the record, the QEMU stays findable.
  (void)WriteFileAtomically(p->PathOf("qemu.pid"), absl::StrCat(pid, " ", record.uuid(), "\n"));
  {
    absl::MutexLock lock(&mu_);
    p->record.set_qemu_pid(pid);
    p->starting_pidfd = pidfd;
    (void)Persist(*p);
    if (p->start_cancelled) SendSignal(pidfd->get(), SIGKILL);
  }
  auto fail = [&](absl::Status status) {
    SendSignal(pidfd->get(), SIGKILL);
    int ws;
    ::waitpid(pid, &ws, 0);
    std::string tail = LastLines(paths.qemu_log, 400);
    ::unlink(p->PathOf("qemu.pid").c_str());
    absl::MutexLock lock(&mu_);
    p->record.set_qemu_pid(0);
    p->starting_pidfd.reset();
    if (p->start_cancelled) {
      return absl::AbortedError(absl::StrCat("start of partition '", p->name(),
                                             "' was cancelled by a forced stop or delete"));
    }
    return absl::UnavailableError(absl::StrCat("starting QEMU failed: ", status.message(),
                                               tail.empty() ? "" : "; qemu.log: ", tail));
  };
  auto alive = [&] { return ProcessAlive(pidfd->get()); };
  if (absl::Status s = ivshmem->AcceptAndSetup(region->fd(), kLaunchTimeout, alive); !s.ok()) {
    return fail(s);
  }
  absl::StatusOr<QmpClient> qmp = QmpClient::Connect(
      paths.qmp_socket, std::chrono::duration_cast<std::chrono::milliseconds>(kLaunchTimeout));
  if (!qmp.ok()) return fail(qmp.status());
  auto proxy = std::make_unique<ExitProxyServer>(
      p->name(), std::move(*region), ivshmem->agent_eventfd(), ivshmem->paravisor_eventfd(),
      p.get(), /*reattach=*/false, options_.proxy_idle_spin);
  {
    // tee != none: the partition's simulated secure processor answers its guest messages and
    // the agent's evidence requests (null for a plain partition: the proxy refuses them).
    absl::MutexLock lock(&mu_);
    proxy->set_attestation_backend(p->attestation_backend(), p->kbs_relay.get());
  }
  proxy->ResumeCounters(counter_file);
  proxy->Start();
  absl::StatusOr<nlohmann::json> cont = qmp->Execute("cont");
  if (!cont.ok()) {
    proxy->Stop();
    return fail(cont.status());
  }
  absl::MutexLock lock(&mu_);
  p->pid = pid;
  p->is_child = true;
  p->pidfd = pidfd;
  p->qmp = std::make_shared<QmpClient>(std::move(*qmp));
  p->ivshmem = std::make_unique<IvshmemServer>(std::move(*ivshmem));
  p->proxy = std::move(proxy);
  p->starting_pidfd.reset();
  p->supervisor_wake = std::make_shared<UniqueFd>(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  p->record.set_qemu_pid(pid);
  p->record.set_started_unix_ms(UnixMillisNow());
  SetState(*p, pv::v1::PARTITION_STATE_RUNNING, pv::v1::EVENT_TYPE_STATE_CHANGED,
           absl::StrCat("QEMU pid ", pid));
  p->supervisor = std::thread([this, p] { Supervise(p); });
  return absl::OkStatus();
}

void PartitionManager::Reattach(std::shared_ptr<Partition> p) {
  const pid_t pid = static_cast<pid_t>(p->record.qemu_pid());
  if (pid <= 0) {
    // The agent ended after recording STARTING but before spawning QEMU.
    p->record.set_stopped_unix_ms(UnixMillisNow());
    SetState(*p, pv::v1::PARTITION_STATE_FAILED, pv::v1::EVENT_TYPE_STATE_CHANGED,
             "the agent ended before QEMU was started");
    return;
  }
  absl::StatusOr<UniqueFd> pidfd = AdoptProcess(pid, p->record.uuid());
  if (!pidfd.ok()) {
    const std::string result = LastResultLine(p->PathOf("firmware.log"));
    p->record.set_qemu_pid(0);
    p->record.set_stopped_unix_ms(UnixMillisNow());
    if (absl::StrContains(result, "PV-RESULT: PASS")) {
      p->record.mutable_exit()->set_success(true);
      SetState(*p, pv::v1::PARTITION_STATE_STOPPED, pv::v1::EVENT_TYPE_STATE_CHANGED,
               absl::StrCat("QEMU finished while the agent was not running: ", result));
    } else {
      SetState(*p, pv::v1::PARTITION_STATE_FAILED, pv::v1::EVENT_TYPE_STATE_CHANGED,
               absl::StrCat("QEMU (pid ", pid, ") ended while the agent was not running",
                            result.empty() ? "" : ": ", result));
    }
    return;
  }
  auto fd = std::make_shared<UniqueFd>(std::move(*pidfd));
  if (!IsLive(p->record.state())) {
    // Interrupted in the middle of a start or stop: finish it the safe way.
    const bool was_stopping = p->record.state() == pv::v1::PARTITION_STATE_STOPPING;
    SendSignal(fd->get(), SIGKILL);
    pollfd pfd{fd->get(), POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(std::chrono::milliseconds(kKillWait).count()));
    p->record.set_qemu_pid(0);
    p->record.set_stopped_unix_ms(UnixMillisNow());
    if (was_stopping) {
      SetState(*p, pv::v1::PARTITION_STATE_STOPPED, pv::v1::EVENT_TYPE_STATE_CHANGED,
               "stop completed after agent restart");
    } else {
      SetState(*p, pv::v1::PARTITION_STATE_FAILED, pv::v1::EVENT_TYPE_STATE_CHANGED,
               "agent restarted while the partition was starting");
    }
    return;
  }
  absl::StatusOr<SharedRegion> region =
      SharedRegion::Open(p->PathOf("shared.mem"), p->record.spec().vcpus());
  absl::StatusOr<QmpClient> qmp =
      QmpClient::Connect(p->PathOf("qmp.sock"), std::chrono::milliseconds(2000));
  if (!qmp.ok()) Log(p->name(), ": re-attach without QMP: ", qmp.status().ToString());
  p->pid = pid;
  p->is_child = false;
  p->pidfd = fd;
  if (qmp.ok()) p->qmp = std::make_shared<QmpClient>(std::move(*qmp));
  if (region.ok()) {
    p->proxy = std::make_unique<ExitProxyServer>(p->name(), std::move(*region), -1, -1, p.get(),
                                                 /*reattach=*/true, options_.proxy_idle_spin);
    // The counters continue where the previous agent left them (counter_file.h).
    absl::StatusOr<std::unique_ptr<CounterFile>> counters =
        CounterFile::Open(p->PathOf("counters.mem"));
    const bool restored = counters.ok();
    if (!restored) {
      Log(p->name(), ": counters restart from 0: ", counters.status().ToString());
      counters = CounterFile::Create(p->PathOf("counters.mem"));
    }
    if (counters.ok()) {
      std::shared_ptr<CounterFile> file = *std::move(counters);
      p->AttachCounters(file, restored);
      p->proxy->ResumeCounters(std::move(file));
    }
    if (p->record.spec().tee() != pv::v1::TEE_NONE) {
      absl::Status restored = RestoreSimulatedSp(*p);
      if (!restored.ok()) {
        events_.Append(
            p->name(), pv::v1::EVENT_TYPE_REATTACHED, p->record.state(),
            absl::StrCat("attestation unavailable after re-attach: ", restored.message()));
        Log(p->name(), ": attestation unavailable after re-attach: ", restored.ToString());
      }
      if (p->record.spec().has_attestation()) {
        p->kbs_relay = std::make_shared<HttpKbsRelay>(
            p->name(), p->record.spec().attestation().kbs_url(), SimulatedSpDir(),
            options_.kbs_relay_fault);
      }
      p->proxy->set_attestation_backend(p->attestation_backend(), p->kbs_relay.get());
    }
    p->proxy->Start();
  } else {
    Log(p->name(), ": re-attach without exit proxy: ", region.status().ToString());
  }
  p->supervisor_wake = std::make_shared<UniqueFd>(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  (void)Persist(*p);
  events_.Append(p->name(), pv::v1::EVENT_TYPE_REATTACHED, p->record.state(),
                 absl::StrCat("re-attached to QEMU pid ", pid,
                              region.ok() ? " (exit proxy in polling mode)" : ""));
  Log(p->name(), ": re-attached to QEMU pid ", pid);
  p->supervisor = std::thread([this, p] { Supervise(p); });
}

absl::Status PartitionManager::RestoreSimulatedSp(Partition& p) {
  absl::StatusOr<SimulatedPlatforms::ForPartition> platform =
      sim_platforms_.For(p.record.spec().tee() == pv::v1::TEE_TDX);
  if (!platform.ok()) return platform.status();
  absl::StatusOr<std::unique_ptr<SimulatedSpBackend>> backend =
      SimulatedSpBackend::Restore(platform->amd, platform->tdx, p.PathOf(kSimulatedSpStateFile));
  if (!backend.ok()) return backend.status();
  p.attestation = *std::move(backend);
  return absl::OkStatus();
}

void PartitionManager::Supervise(std::shared_ptr<Partition> p) {
  std::shared_ptr<UniqueFd> pidfd, wake;
  pid_t pid;
  bool is_child;
  {
    absl::MutexLock lock(&mu_);
    pidfd = p->pidfd;
    wake = p->supervisor_wake;
    pid = p->pid;
    is_child = p->is_child;
  }
  pollfd fds[2] = {{pidfd->get(), POLLIN, 0}, {wake->get(), POLLIN, 0}};
  while (true) {
    int r = ::poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (fds[1].revents != 0) return;  // detach: the agent exits and leaves QEMU running
    if (fds[0].revents != 0) break;
  }
  int status = 0;
  bool have_status = false;
  if (is_child) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    have_status = true;
  }
  OnQemuExit(p, status, have_status);
}

void PartitionManager::OnQemuExit(std::shared_ptr<Partition> p, int ws, bool have_status) {
  std::unique_ptr<ExitProxyServer> proxy;
  {
    absl::MutexLock lock(&mu_);
    proxy = std::move(p->proxy);
  }
  // Drain the rings one last time (a GuestStopped just before the exit), then stop serving.
  ExitProxyStats final_stats;
  if (proxy != nullptr) {
    proxy->Stop();
    final_stats = proxy->stats();
  }
  proxy.reset();
  p->CloseConsole();
  absl::MutexLock lock(&mu_);
  p->last_proxy_stats = final_stats;
  pv::v1::ExitInfo* exit = p->record.mutable_exit();
  const std::string result = LastResultLine(p->PathOf("firmware.log"));
  bool debug_exit = false;
  if (have_status && WIFEXITED(ws)) {
    const int code = WEXITSTATUS(ws);
    exit->set_qemu_status(code);
    // isa-debug-exit makes QEMU exit with (value << 1) | 1: only the paravisor does that.
    debug_exit = (code & 1) != 0 && code >= 3;
    exit->set_success(code == 33);
  } else if (have_status && WIFSIGNALED(ws)) {
    exit->set_qemu_status(-1);
    exit->set_signal(WTERMSIG(ws));
  } else {
    exit->set_qemu_status(-1);
    exit->set_success(absl::StrContains(result, "PV-RESULT: PASS"));
    debug_exit = !result.empty();
  }
  exit->set_guest_reported(p->guest_reported);
  exit->set_guest_stop_reason(p->guest_stop_reason);
  exit->set_guest_exit_code(p->guest_exit_code);
  p->record.set_qemu_pid(0);
  p->record.set_stopped_unix_ms(UnixMillisNow());
  p->record.clear_health();
  p->pid = 0;
  p->pidfd.reset();
  p->qmp.reset();
  p->ivshmem.reset();
  std::string detail;
  PartitionState state;
  if (p->stop_requested) {
    state = pv::v1::PARTITION_STATE_STOPPED;
    detail = "stopped on request";
  } else if ((debug_exit || p->guest_reported) && exit->success()) {
    state = pv::v1::PARTITION_STATE_STOPPED;
    detail = absl::StrCat("guest finished", result.empty() ? "" : ": ", result, " (QEMU status ",
                          exit->qemu_status(), ")");
  } else if (debug_exit || p->guest_reported) {
    // The paravisor ended the run and said why (triple fault, nested page fault, wrong exit
    // code, ...): that is the reason, not QEMU's status.
    state = pv::v1::PARTITION_STATE_FAILED;
    std::string stopped = LastResultLine(p->PathOf("firmware.log"), ": stopped: ");
    while (!stopped.empty() && (stopped.back() == '\r' || stopped.back() == '\n')) {
      stopped.pop_back();
    }
    detail = absl::StrCat("guest failed", stopped.empty() ? "" : ": ", Clip(stopped, 200),
                          result.empty() ? "" : "; ", Clip(result, 200));
  } else {
    state = pv::v1::PARTITION_STATE_FAILED;
    if (exit->signal() != 0) {
      detail = absl::StrCat("QEMU was killed by signal ", exit->signal(), " (",
                            strsignal(exit->signal()), ")");
    } else if (have_status) {
      detail = absl::StrCat("QEMU exited with status ", exit->qemu_status());
    } else {
      detail = "QEMU exited (not the agent's child: status unknown)";
    }
    std::string tail = LastLines(p->PathOf("qemu.log"), 200);
    if (!tail.empty()) absl::StrAppend(&detail, "; qemu.log: ", tail);
  }
  SetState(*p, state, pv::v1::EVENT_TYPE_STATE_CHANGED, detail);
  // Restart policy: not after a stop on request, not while the agent shuts down.
  const pv::v1::RestartPolicy policy = p->record.spec().restart_policy();
  const bool restart =
      !p->stop_requested && !shutting_down_ &&
      (policy == pv::v1::RESTART_POLICY_ALWAYS ||
       (policy == pv::v1::RESTART_POLICY_ON_FAILURE && state == pv::v1::PARTITION_STATE_FAILED));
  if (restart) {
    const int64_t ran_ms = p->record.stopped_unix_ms() - p->record.started_unix_ms();
    if (ran_ms > std::chrono::milliseconds(kStableRun).count()) p->restarts = 0;
    const auto backoff = std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(1000 << std::min(p->restarts, 5)), std::chrono::seconds(30));
    ++p->restarts;
    restarts_.emplace_back(std::chrono::steady_clock::now() + backoff, p->name());
    events_.Append(p->name(), pv::v1::EVENT_TYPE_STATE_CHANGED, state,
                   absl::StrCat("restart #", p->restarts, " in ", backoff.count(), " ms (policy ",
                                pv::v1::RestartPolicy_Name(policy), ")"));
  }
}

bool PartitionManager::WaitForStateNot(const std::string& name, PartitionState state,
                                       std::chrono::milliseconds timeout) {
  absl::MutexLock lock(&mu_);
  auto changed = [this, &name, state]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::shared_ptr<Partition> p = Find(name);
    return p == nullptr || p->record.state() != state;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&changed), absl::FromChrono(timeout));
}

absl::StatusOr<pv::v1::Partition> PartitionManager::Stop(const std::string& name,
                                                         std::chrono::milliseconds grace,
                                                         bool force) {
  std::shared_ptr<QmpClient> qmp;
  std::shared_ptr<UniqueFd> pidfd;
  std::shared_ptr<Partition> partition;
  bool cancelling = false;
  // One deadline for the whole graceful phase: QMP quit and waiting for QEMU to end share it.
  const auto graceful_deadline = std::chrono::steady_clock::now() + grace;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Partition> p = Find(name);
    if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
    if (force && p->record.state() == pv::v1::PARTITION_STATE_STARTING) {
      p->start_cancelled = true;
      if (p->starting_pidfd != nullptr) SendSignal(p->starting_pidfd->get(), SIGKILL);
      cancelling = true;
    } else if (!IsLive(p->record.state())) {
      return WrongState(p->record, "StopPartition",
                        force ? "RUNNING, PAUSED or STARTING" : "RUNNING or PAUSED");
    }
  }
  if (cancelling) {
    // The start in flight sees its QEMU die, records STOPPED and returns ABORTED.
    if (!WaitForStateNot(name, pv::v1::PARTITION_STATE_STARTING, kLaunchTimeout * 2)) {
      return absl::DeadlineExceededError(
          absl::StrCat("partition '", name, "': the cancelled start did not finish"));
    }
    return Get(name);
  }
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Partition> p = Find(name);
    if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
    if (!IsLive(p->record.state())) {
      return WrongState(p->record, "StopPartition", "RUNNING or PAUSED");
    }
    p->stop_requested = true;
    qmp = p->qmp;
    pidfd = p->pidfd;
    partition = p;
    SetState(*p, pv::v1::PARTITION_STATE_STOPPING, pv::v1::EVENT_TYPE_STATE_CHANGED,
             force ? "forced" : absl::StrCat("graceful, ", grace.count(), " ms grace"));
  }
  bool stopped = false;
  if (!force && qmp != nullptr) {
    // Graceful: ask QEMU to quit (it tears the machine down and exits 0).
    absl::StatusOr<nlohmann::json> quit;
    {
      absl::MutexLock qmp_lock(&partition->qmp_mu);
      quit = qmp->Execute("quit", nullptr, grace);
    }
    if (!quit.ok()) Log(name, ": QMP quit: ", quit.status().ToString());
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        graceful_deadline - std::chrono::steady_clock::now());
    stopped = WaitForStateNot(name, pv::v1::PARTITION_STATE_STOPPING,
                              std::max(left, std::chrono::milliseconds(0)));
  }
  if (!stopped) {
    if (pidfd != nullptr) SendSignal(pidfd->get(), SIGKILL);
    if (!WaitForStateNot(name, pv::v1::PARTITION_STATE_STOPPING,
                         std::chrono::duration_cast<std::chrono::milliseconds>(kKillWait))) {
      return absl::InternalError(
          absl::StrCat("partition '", name, "': QEMU did not exit after ", "SIGKILL"));
    }
  }
  return Get(name);
}

absl::Status PartitionManager::Delete(const std::string& name, bool force) {
  std::string trash;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Partition> p = Find(name);
    if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
    const PartitionState s = p->record.state();
    const bool active =
        IsLive(s) || s == pv::v1::PARTITION_STATE_STARTING || s == pv::v1::PARTITION_STATE_STOPPING;
    if (active && !force) {
      return WrongState(p->record, "DeletePartition", "CREATED, STOPPED or FAILED (or force)");
    }
  }
  // force: cancel a start in flight, let a stop in flight settle, then stop.
  absl::StatusOr<pv::v1::Partition> got = Get(name);
  if (got.ok() && got->state() == pv::v1::PARTITION_STATE_STARTING) {
    (void)Stop(name, std::chrono::milliseconds(0), true);
  }
  WaitForStateNot(name, pv::v1::PARTITION_STATE_STOPPING, std::chrono::seconds(30));
  got = Get(name);
  if (got.ok() && IsLive(got->state())) {
    absl::StatusOr<pv::v1::Partition> stopped = Stop(name, std::chrono::milliseconds(0), true);
    if (!stopped.ok() && !absl::IsFailedPrecondition(stopped.status())) return stopped.status();
  }
  std::shared_ptr<Partition> p;
  {
    absl::MutexLock lock(&mu_);
    p = Find(name);
    if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
    const PartitionState s = p->record.state();
    if (IsLive(s) || s == pv::v1::PARTITION_STATE_STARTING ||
        s == pv::v1::PARTITION_STATE_STOPPING) {
      return WrongState(p->record, "DeletePartition", "CREATED, STOPPED or FAILED");
    }
    // Renamed aside under the lock: a Create of the same name right after gets a directory
    // of its own, never one being removed. Init removes what a crash left aside.
    trash =
        absl::StrCat(partitions_dir_, "/.deleted-", name, "-", ::getpid(), "-", ++trash_counter_);
    if (::rename(p->dir.c_str(), trash.c_str()) != 0) {
      return ErrnoStatus("move aside the directory of partition", name);
    }
    partitions_.erase(name);
    events_.Append(name, pv::v1::EVENT_TYPE_DELETED, s, "");
  }
  if (p->supervisor.joinable()) p->supervisor.join();
  Log(name, ": deleted");
  return RemoveTree(trash);
}

absl::StatusOr<pv::v1::Partition> PartitionManager::Get(const std::string& name) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Partition> p = Find(name);
  if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
  return WithAttestation(*p);
}

std::vector<pv::v1::Partition> PartitionManager::List() {
  absl::MutexLock lock(&mu_);
  std::vector<pv::v1::Partition> out;
  for (const auto& [name, p] : partitions_) out.push_back(WithAttestation(*p));
  return out;
}

pv::v1::Partition PartitionManager::WithAttestation(const Partition& p) const {
  pv::v1::Partition record = p.record;
  if (p.kbs_relay != nullptr) *record.mutable_attestation() = p.kbs_relay->status();
  return record;
}

absl::StatusOr<pv::v1::PartitionStats> PartitionManager::Stats(const std::string& name) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Partition> p = Find(name);
  if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
  pv::v1::PartitionStats stats;
  stats.set_name(name);
  p->FillStats(&stats);
  {
    ExitProxyStats ps = p->proxy != nullptr ? p->proxy->stats() : p->last_proxy_stats;
    stats.set_proxy_round_trips(ps.round_trips);
    stats.set_proxy_notifications(ps.notifications);
    // proxy_errors comes from FillStats: it also counts ring-level rejections (corrupt
    // index, full response ring) that the message handler never sees.
    stats.set_doorbells_received(ps.doorbells_received);
  }
  const int64_t started = p->record.started_unix_ms();
  const int64_t end =
      IsLive(p->record.state()) || p->record.state() == pv::v1::PARTITION_STATE_STOPPING
          ? UnixMillisNow()
          : p->record.stopped_unix_ms();
  if (started > 0 && end >= started) stats.set_uptime_seconds((end - started) / 1000.0);
  return stats;
}

std::string PartitionManager::MetricsText() {
  const std::vector<pv::v1::Partition> all = List();
  std::map<PartitionState, int> by_state;
  for (int s = pv::v1::PartitionState_MIN; s <= pv::v1::PartitionState_MAX; ++s) {
    if (pv::v1::PartitionState_IsValid(s) && s != 0) by_state[static_cast<PartitionState>(s)] = 0;
  }
  for (const pv::v1::Partition& p : all) ++by_state[p.state()];
  std::string out = "# HELP pv_partitions Partitions by state.\n# TYPE pv_partitions gauge\n";
  for (const auto& [state, n] : by_state) {
    absl::StrAppend(&out, "pv_partitions{state=\"", absl::AsciiStrToLower(StateName(state)), "\"} ",
                    n, "\n");
  }
  std::string exits =
      "# HELP pv_exits_total Exits reported by the paravisor, by reason.\n"
      "# TYPE pv_exits_total counter\n";
  std::string proxy =
      "# HELP pv_proxy_messages_total Exit-proxy messages by kind.\n"
      "# TYPE pv_proxy_messages_total counter\n";
  for (const pv::v1::Partition& p : all) {
    absl::StatusOr<pv::v1::PartitionStats> st = Stats(p.spec().name());
    if (!st.ok()) continue;
    const std::string label = PromLabel(p.spec().name());
    for (const pv::v1::ExitReasonCount& c : st->exits_by_reason()) {
      absl::StrAppend(&exits, "pv_exits_total{partition=\"", label, "\",reason=\"",
                      PromLabel(c.reason_name()), "\"} ", c.count(), "\n");
    }
    for (const auto& [kind, n] :
         {std::pair<const char*, uint64_t>{"round_trip", st->proxy_round_trips()},
          {"notification", st->proxy_notifications()},
          {"error", st->proxy_errors()},
          {"doorbell", st->doorbells_received()}}) {
      absl::StrAppend(&proxy, "pv_proxy_messages_total{partition=\"", label, "\",kind=\"", kind,
                      "\"} ", n, "\n");
    }
  }
  return absl::StrCat(out, exits, proxy);
}

absl::StatusOr<std::string> PartitionManager::ConsolePath(const std::string& name,
                                                          pv::v1::ConsoleSource source) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Partition> p = Find(name);
  if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
  return source == pv::v1::CONSOLE_SOURCE_FIRMWARE ? p->PathOf("firmware.log")
                                                   : p->PathOf("console.log");
}

bool PartitionManager::MayProduceOutput(const std::string& name) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Partition> p = Find(name);
  if (p == nullptr) return false;
  const PartitionState s = p->record.state();
  return s == pv::v1::PARTITION_STATE_STARTING || IsLive(s) ||
         s == pv::v1::PARTITION_STATE_STOPPING;
}

void PartitionManager::WaitForConsole(const std::string& name, uint64_t known_size,
                                      std::chrono::milliseconds timeout) {
  std::shared_ptr<Partition> p;
  {
    absl::MutexLock lock(&mu_);
    p = Find(name);
  }
  if (p == nullptr) return;
  p->WaitForConsole(known_size, timeout);
}

void PartitionManager::Shutdown() {
  std::vector<std::string> starting;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    shutting_down_ = true;  // no new starts from here on
    for (const auto& [name, p] : partitions_) {
      if (p->record.state() == pv::v1::PARTITION_STATE_STARTING) starting.push_back(name);
    }
  }
  // A start in flight finishes (RUNNING or FAILED) before the running ones are collected, so
  // its QEMU is stopped (or handed over) like the others.
  for (const std::string& name : starting) {
    WaitForStateNot(name, pv::v1::PARTITION_STATE_STARTING, std::chrono::seconds(30));
  }
  std::vector<std::string> running;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, p] : partitions_) {
      if (IsLive(p->record.state())) running.push_back(name);
    }
  }
  for (const std::string& name : running) {
    if (options_.keep_partitions_on_exit) {
      std::shared_ptr<Partition> p;
      std::unique_ptr<ExitProxyServer> proxy;
      {
        absl::MutexLock lock(&mu_);
        p = Find(name);
        if (p == nullptr || p->supervisor_wake == nullptr) continue;
        uint64_t one = 1;
        (void)!::write(p->supervisor_wake->get(), &one, sizeof(one));
        proxy = std::move(p->proxy);
      }
      if (proxy != nullptr) proxy->Stop();
      Log(name, ": left running for the next agent");
    } else {
      absl::StatusOr<pv::v1::Partition> stopped =
          Stop(name, std::chrono::milliseconds(1000), false);
      if (!stopped.ok()) Log(name, ": stop at shutdown: ", stopped.status().ToString());
    }
  }
  std::vector<std::shared_ptr<Partition>> all;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, p] : partitions_) all.push_back(p);
  }
  for (auto& p : all) {
    if (p->supervisor.joinable()) p->supervisor.join();
  }
  if (health_thread_.joinable()) health_thread_.join();
}

}  // namespace pv::agent

namespace pv::agent {

absl::StatusOr<pv::v1::Partition> PartitionManager::QmpTransition(
    const std::string& name, const char* call, PartitionState from, const char* command,
    PartitionState to, const std::string& what) {
  std::shared_ptr<Partition> p;
  std::shared_ptr<QmpClient> qmp;
  {
    absl::MutexLock lock(&mu_);
    p = Find(name);
    if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
    if (p->record.state() != from) return WrongState(p->record, call, StateName(from));
    qmp = p->qmp;
  }
  if (qmp == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("partition '", name, "' has no QMP connection (re-attached without it)"));
  }
  {
    absl::MutexLock qmp_lock(&p->qmp_mu);
    absl::StatusOr<nlohmann::json> done = qmp->Execute(command, nullptr, std::chrono::seconds(5));
    if (!done.ok()) {
      // A stop or delete racing with this call ends QEMU under it: that is the caller's wrong
      // state, not an unavailable agent.
      absl::MutexLock lock(&mu_);
      if (p->record.state() != from) return WrongState(p->record, call, StateName(from));
      return absl::UnavailableError(absl::StrCat("QMP ", command, ": ", done.status().message()));
    }
  }
  absl::MutexLock lock(&mu_);
  // QEMU may have ended meanwhile (the supervisor recorded that): report, do not overwrite.
  if (p->record.state() == from) {
    if (to != pv::v1::PARTITION_STATE_UNSPECIFIED) {
      SetState(*p, to, pv::v1::EVENT_TYPE_STATE_CHANGED, what);
    } else {
      events_.Append(name, pv::v1::EVENT_TYPE_STATE_CHANGED, from, what);
      Log(name, ": ", what);
    }
  }
  return p->record;
}

absl::StatusOr<pv::v1::Partition> PartitionManager::Pause(const std::string& name) {
  return QmpTransition(name, "PausePartition", pv::v1::PARTITION_STATE_RUNNING, "stop",
                       pv::v1::PARTITION_STATE_PAUSED, "paused");
}

absl::StatusOr<pv::v1::Partition> PartitionManager::Resume(const std::string& name) {
  return QmpTransition(name, "ResumePartition", pv::v1::PARTITION_STATE_PAUSED, "cont",
                       pv::v1::PARTITION_STATE_RUNNING, "resumed");
}

absl::StatusOr<pv::v1::Partition> PartitionManager::RequestShutdown(const std::string& name) {
  return QmpTransition(name, "ShutdownPartition", pv::v1::PARTITION_STATE_RUNNING,
                       "system_powerdown", pv::v1::PARTITION_STATE_UNSPECIFIED,
                       "shutdown requested (ACPI power button)");
}

absl::StatusOr<pv::v1::Partition> PartitionManager::Reset(const std::string& name) {
  // An in-place system_reset would restart the paravisor against rings the agent is in the
  // middle of: a reset is a forced stop and a start of a fresh QEMU instead.
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Partition> p = Find(name);
    if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition '", name, "' not found"));
    if (!IsLive(p->record.state())) {
      return WrongState(p->record, "ResetPartition", "RUNNING or PAUSED");
    }
  }
  absl::StatusOr<pv::v1::Partition> stopped = Stop(name, std::chrono::milliseconds(0), true);
  if (!stopped.ok()) return stopped.status();
  return Start(name);
}

}  // namespace pv::agent
