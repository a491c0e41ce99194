#include "qemu_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "errno_status.h"
#include "file_util.h"
#include "measured_launch.h"

namespace pv::agent {

namespace {
int PidfdOpen(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
}  // namespace

std::vector<std::string> BuildQemuArgs(const pv::v1::Partition& partition, const QemuPaths& paths) {
  const pv::v1::PartitionSpec& spec = partition.spec();
  std::vector<std::string> args = {paths.qemu_binary};
  if (spec.platform() == pv::v1::PLATFORM_KVM_NESTED) {
    args.insert(args.end(), {"-accel", "kvm", "-cpu", "host"});
  } else {
    args.insert(args.end(), {"-accel", "tcg", "-cpu", "qemu64,+svm,+npt,+rdrand"});
  }
  args.insert(args.end(), {
                              "-m",
                              absl::StrCat(spec.memory_mib(), "M"),
                              "-smp",
                              absl::StrCat(spec.vcpus()),
                              "-name",
                              absl::StrCat(spec.name(), ",process=pv-", spec.name()),
                              "-uuid",
                              partition.uuid(),
                              "-display",
                              "none",
                              "-no-reboot",
                              "-nodefaults",
                              "-S",
                              "-serial",
                              absl::StrCat("file:", paths.firmware_log),
                              "-device",
                              "isa-debug-exit,iobase=0xf4,iosize=0x04",
                              "-chardev",
                              absl::StrCat("socket,path=", paths.ivshmem_socket, ",id=pvproxy"),
                              "-device",
                              "ivshmem-doorbell,chardev=pvproxy,vectors=1",
                              "-qmp",
                              absl::StrCat("unix:", paths.qmp_socket, ",server=on,wait=off"),
                          });
  if (spec.tee() != pv::v1::TEE_NONE) {
    // Measured launch: RAM file and reset stub written by the agent (measured_launch.h).
    std::vector<std::string> measured = MeasuredLaunchQemuArgs(
        spec, MeasuredLaunchPaths{paths.launch_ram, paths.reset_rom});
    args.insert(args.end(), measured.begin(), measured.end());
    return args;
  }
  args.insert(args.end(), {"-kernel", spec.firmware_path()});
  if (!spec.guest_image_path().empty()) {
    // A multiboot module's command line follows its path, separated by a space.
    args.insert(args.end(), {"-initrd", spec.guest_cmdline().empty()
                                            ? spec.guest_image_path()
                                            : absl::StrCat(spec.guest_image_path(), " ",
                                                           spec.guest_cmdline())});
  }
  if (!spec.linux_kernel_path().empty()) {
    // A Linux guest: the kernel module, then its initrd as module 1 (README "Linux guests").
    // QEMU splits -initrd at commas; a literal comma in the kernel's command line is doubled.
    std::string modules = absl::StrCat(spec.linux_kernel_path(), " linux");
    if (!spec.linux_initrd_path().empty()) absl::StrAppend(&modules, " initrd=1");
    if (!spec.guest_cmdline().empty()) absl::StrAppend(&modules, " ", spec.guest_cmdline());
    absl::StrAppend(&modules, " -- ", absl::StrReplaceAll(spec.linux_append(), {{",", ",,"}}));
    if (!spec.linux_initrd_path().empty()) {
      absl::StrAppend(&modules, ",", spec.linux_initrd_path(), " role=initrd");
    }
    args.insert(args.end(), {"-initrd", modules});
  }
  if (!spec.firmware_cmdline().empty()) {
    args.insert(args.end(), {"-append", spec.firmware_cmdline()});
  }
  return args;
}

absl::StatusOr<SpawnedProcess> SpawnProcess(const std::vector<std::string>& argv,
                                            const std::string& log_path) {
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!log.valid()) return ErrnoStatus("create", log_path);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus("fork for", argv[0]);
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setsid();
    ::dup2(devnull.get(), 0);
    ::dup2(log.get(), 1);
    ::dup2(log.get(), 2);
    ::syscall(SYS_close_range, 3, ~0u, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(cargv[0], cargv.data());
    ::_exit(127);
  }
  SpawnedProcess p;
  p.pid = pid;
  p.pidfd.Reset(PidfdOpen(pid));
  if (!p.pidfd.valid()) return ErrnoStatus("pidfd_open", argv[0]);
  return p;
}

absl::StatusOr<UniqueFd> AdoptProcess(pid_t pid, const std::string& marker) {
  if (pid <= 0) return absl::NotFoundError("no pid recorded");
  UniqueFd fd(PidfdOpen(pid));
  if (!fd.valid()) return ErrnoStatus("pidfd_open", absl::StrCat("pid ", pid));
  // Check the identity after opening the pidfd: the pidfd keeps naming this process even if
  // the pid is recycled later.
  absl::StatusOr<std::string> cmdline =
      ReadFileLimited(absl::StrCat("/proc/", pid, "/cmdline"), 1 << 20);
  if (!cmdline.ok()) return cmdline.status();
  // /proc/<pid>/cmdline of a regular file is reported as size 0 by stat; read it directly.
  if (cmdline->empty()) {
    UniqueFd f(::open(absl::StrCat("/proc/", pid, "/cmdline").c_str(), O_RDONLY | O_CLOEXEC));
    char buf[8192];
    ssize_t n = f.valid() ? ::read(f.get(), buf, sizeof(buf)) : -1;
    if (n > 0) cmdline->assign(buf, n);
  }
  if (cmdline->find(marker) == std::string::npos) {
    return absl::NotFoundError(absl::StrCat("pid ", pid, " is not this partition's QEMU"));
  }
  return fd;
}

bool ProcessAlive(int pidfd) {
  pollfd pfd{pidfd, POLLIN, 0};
  return ::poll(&pfd, 1, 0) == 0;
}

int SendSignal(int pidfd, int signal) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

}  // namespace pv::agent
