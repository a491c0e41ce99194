#include "qemu_process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

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

std::vector<std::string> BuildQemuArgs(const pv::v1::Partition& partition, const QemuPaths& paths,
                                       const QemuFds& fds) {
  const pv::v1::PartitionSpec& spec = partition.spec();
  std::vector<std::string> args = {paths.qemu_binary};
  if (spec.platform() == pv::v1::PLATFORM_KVM_NESTED) {
    args.insert(args.end(), {"-accel", "kvm", "-cpu", "host"});
  } else {
    args.insert(args.end(), {"-accel", "tcg", "-cpu", "qemu64,+svm,+npt,+rdrand,+ssse3,+aes,+pclmulqdq"});
  }
  args.insert(args.end(),
              {
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
                  "-sandbox",
                  "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
                  "resourcecontrol=deny",
                  // The serial log: a descriptor QEMU "opens" through its fd set.
                  "-add-fd",
                  absl::StrCat("fd=", fds.serial_log, ",set=1"),
                  "-serial",
                  "file:/dev/fdset/1",
                  "-device",
                  "isa-debug-exit,iobase=0xf4,iosize=0x04",
                  "-chardev",
                  absl::StrCat("socket,id=pvproxy,fd=", fds.ivshmem),
                  "-device",
                  "ivshmem-doorbell,chardev=pvproxy,vectors=1",
                  "-chardev",
                  absl::StrCat("socket,id=pvqmp,fd=", fds.qmp_listener, ",server=on,wait=off"),
                  "-mon",
                  "chardev=pvqmp,mode=control",
              });
  if (spec.tee() != pv::v1::TEE_NONE) {
    // Measured launch: RAM file and reset stub written by the agent (measured_launch.h).
    std::vector<std::string> measured =
        MeasuredLaunchQemuArgs(spec, MeasuredLaunchFds{fds.launch_ram, fds.reset_rom});
    args.insert(args.end(), measured.begin(), measured.end());
    return args;
  }
  args.insert(args.end(), {"-kernel", absl::StrCat("/dev/fd/", fds.firmware_image)});
  if (fds.guest_image >= 0) {
    // A multiboot module's command line follows its path, separated by a space.
    const std::string image = absl::StrCat("/dev/fd/", fds.guest_image);
    args.insert(args.end(), {"-initrd", spec.guest_cmdline().empty()
                                            ? image
                                            : absl::StrCat(image, " ", spec.guest_cmdline())});
  }
  if (fds.linux_kernel >= 0) {
    // A Linux guest: the kernel module, then its initrd as module 1 (README "Linux guests").
    // QEMU splits -initrd at commas; a literal comma in the kernel's command line is doubled.
    std::string modules = absl::StrCat("/dev/fd/", fds.linux_kernel, " linux");
    if (fds.linux_initrd >= 0) absl::StrAppend(&modules, " initrd=1");
    if (!spec.guest_cmdline().empty()) absl::StrAppend(&modules, " ", spec.guest_cmdline());
    absl::StrAppend(&modules, " -- ", absl::StrReplaceAll(spec.linux_append(), {{",", ",,"}}));
    if (fds.linux_initrd >= 0) {
      absl::StrAppend(&modules, ",/dev/fd/", fds.linux_initrd, " role=initrd");
    }
    args.insert(args.end(), {"-initrd", modules});
  }
  if (!spec.firmware_cmdline().empty()) {
    args.insert(args.end(), {"-append", spec.firmware_cmdline()});
  }
  return args;
}

namespace {
// In the child (async-signal-safe only): says what failed on QEMU's stderr (qemu.log), exits.
[[noreturn]] void ChildFail(const char* what) {
  const int err = errno;
  const char* reason = strerror(err);  // glibc's table: no allocation
  (void)!::write(2, "pv-agent: cannot confine QEMU: ", 31);
  (void)!::write(2, what, std::strlen(what));
  (void)!::write(2, ": ", 2);
  (void)!::write(2, reason, std::strlen(reason));
  (void)!::write(2, "\n", 1);
  ::_exit(126);
}
}  // namespace

absl::StatusOr<Confinement> ResolveQemuUser(const std::string& user, bool create) {
  Confinement c;
  auto lookup = [&]() -> bool {
    std::vector<char> buf(16384);
    passwd pw, *found = nullptr;
    if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
      return false;
    }
    c.uid = static_cast<int>(pw.pw_uid);
    c.gid = static_cast<int>(pw.pw_gid);
    return true;
  };
  if (!lookup() && create) {
    // useradd is the distribution's way to allocate a system uid consistently.
    const char* argv[] = {"useradd",    "--system",      "--user-group", "--no-create-home",
                          "--home-dir", "/nonexistent",  "--shell",      "/usr/sbin/nologin",
                          "--comment",  "pv-agent QEMU", user.c_str(),   nullptr};
    pid_t pid;
    if (::posix_spawnp(&pid, "useradd", nullptr, nullptr, const_cast<char**>(argv), environ) == 0) {
      int ws = 0;
      while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
      }
    }
  }
  if (!lookup()) {
    return absl::FailedPreconditionError(
        absl::StrCat("QEMU user '", user, "' does not exist and could not be created"));
  }
  if (c.uid == 0 || c.gid == 0) {
    return absl::FailedPreconditionError(absl::StrCat("QEMU user '", user, "' is root"));
  }
  return c;
}

absl::StatusOr<SpawnedProcess> SpawnProcess(const std::vector<std::string>& argv,
                                            const std::string& log_path,
                                            const SpawnOptions& options) {
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!log.valid()) return ErrnoStatus("create", log_path);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const std::vector<int>& inherit = options.inherit_fds;
  const int n_inherit = static_cast<int>(inherit.size());
  std::vector<int> moved(inherit.size(), -1);  // preallocated: the child must not allocate
  const Confinement confine = options.confinement;
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus("fork for", argv[0]);
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setsid();
    ::dup2(devnull.get(), 0);
    ::dup2(log.get(), 1);
    ::dup2(log.get(), 2);
    // Inherited descriptors go to 3, 4, ...: first each above that range (so no placement
    // overwrites a source still to be placed), then into place (dup2 clears FD_CLOEXEC).
    for (int i = 0; i < n_inherit; ++i) {
      moved[i] = ::fcntl(inherit[i], F_DUPFD_CLOEXEC, kFirstInheritedFd + n_inherit);
      if (moved[i] < 0) ChildFail("dup");
    }
    for (int i = 0; i < n_inherit; ++i) {
      if (::dup2(moved[i], kFirstInheritedFd + i) < 0) ChildFail("dup2");
    }
    ::syscall(SYS_close_range, kFirstInheritedFd + n_inherit, ~0u, 0);
    if (confine.own_network_namespace && ::unshare(CLONE_NEWNET) != 0) {
      ChildFail("unshare(CLONE_NEWNET)");
    }
    if (options.jail != nullptr) {
      if (const char* failed = EnterJail(*options.jail); failed != nullptr) ChildFail(failed);
    }
    if (confine.gid >= 0) {
      const gid_t gid = static_cast<gid_t>(confine.gid);
      if (::setgroups(1, &gid) != 0) ChildFail("setgroups");
      if (::setresgid(gid, gid, gid) != 0) ChildFail("setresgid");
    }
    if (confine.uid >= 0) {
      const uid_t uid = static_cast<uid_t>(confine.uid);
      if (::setresuid(uid, uid, uid) != 0) ChildFail("setresuid");
    }
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ChildFail("PR_SET_NO_NEW_PRIVS");
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.jail != nullptr) {
      ::execv(options.jail->executable.c_str(), cargv.data());
    } else {
      ::execvp(cargv[0], cargv.data());
    }
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
