#include "qemu_jail.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "errno_status.h"

namespace pv::agent {

namespace {

// Top-level entries QEMU's libraries may be reached through: a directory is bound read-only,
// a symlink (merged /usr) is recreated as the same link.
constexpr const char* kSystemEntries[] = {"/usr",   "/bin",   "/sbin",  "/lib",
                                          "/lib32", "/lib64", "/libx32"};
// Character devices QEMU may open by name (entropy, the null sinks).
constexpr const char* kDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                    "/dev/urandom"};

absl::StatusOr<std::string> FindExecutable(const std::string& name) {
  std::string candidate = name;
  if (name.find('/') == std::string::npos) {
    const char* path = ::getenv("PATH");
    candidate.clear();
    for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
      std::string c = absl::StrCat(dir.empty() ? "." : dir, "/", name);
      if (::access(c.c_str(), X_OK) == 0) {
        candidate = c;
        break;
      }
    }
    if (candidate.empty())
      return absl::NotFoundError(absl::StrCat("QEMU binary '", name, "' is not in PATH"));
  }
  char resolved[PATH_MAX];
  if (::realpath(candidate.c_str(), resolved) == nullptr) {
    return ErrnoStatus("resolve the QEMU binary", candidate);
  }
  return std::string(resolved);
}

// Whether `path` lies under a directory the jail binds (so it needs no binding of its own).
bool Visible(const JailPlan& plan, const std::string& path) {
  for (const JailStep& s : plan.steps) {
    if (s.kind == JailStep::kBindDirectory && absl::StartsWith(path, s.source + "/")) return true;
  }
  return false;
}

// Mounts `source` on `target` read-only: a bind mount takes its source's flags, so the second
// call (MS_REMOUNT | MS_BIND) is what makes it read-only.
bool BindReadOnly(const char* source, const char* target, bool device) {
  if (::mount(source, target, nullptr, MS_BIND, nullptr) != 0) return false;
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
  flags |= device ? MS_NOEXEC : MS_NODEV;
  return ::mount(nullptr, target, nullptr, flags, nullptr) == 0;
}

}  // namespace

absl::StatusOr<JailPlan> PlanJail(const std::string& root, const std::string& qemu_binary,
                                  bool kvm) {
  JailPlan plan;
  plan.root = root;
  plan.proc = root + "/proc";
  for (const char* entry : kSystemEntries) {
    struct stat st;
    if (::lstat(entry, &st) != 0) continue;  // absent on this distribution
    if (S_ISLNK(st.st_mode)) {
      char link[PATH_MAX];
      const ssize_t n = ::readlink(entry, link, sizeof(link) - 1);
      if (n <= 0) return ErrnoStatus("readlink", entry);
      plan.steps.push_back({JailStep::kSymlink, root + entry, std::string(link, n)});
    } else if (S_ISDIR(st.st_mode)) {
      plan.steps.push_back({JailStep::kBindDirectory, root + entry, entry});
    }
  }
  // The dynamic linker's cache: the one file of /etc QEMU reads (shadow, passwd, ... stay out).
  plan.steps.push_back({JailStep::kDirectory, root + "/etc", ""});
  if (::access("/etc/ld.so.cache", R_OK) == 0) {
    plan.steps.push_back({JailStep::kBindFile, root + "/etc/ld.so.cache", "/etc/ld.so.cache"});
  }
  plan.steps.push_back({JailStep::kDirectory, root + "/dev", ""});
  for (const char* dev : kDevices) {
    if (::access(dev, F_OK) != 0) continue;  // (a minimal container may lack one)
    plan.steps.push_back({JailStep::kBindFile, root + dev, dev, /*device=*/true});
  }
  if (kvm && ::access("/dev/kvm", F_OK) == 0) {
    plan.steps.push_back({JailStep::kBindFile, root + "/dev/kvm", "/dev/kvm", true});
  }
  // -kernel /dev/fd/N and friends: the descriptors QEMU inherited, through the jail's /proc.
  plan.steps.push_back({JailStep::kSymlink, root + "/dev/fd", "/proc/self/fd"});
  absl::StatusOr<std::string> binary = FindExecutable(qemu_binary);
  if (!binary.ok()) return binary.status();
  plan.executable = *binary;
  if (!Visible(plan, plan.executable)) {
    // A binary elsewhere (an operator's build, a test's wrapper): its own path, read-only.
    for (size_t slash = plan.executable.find('/', 1); slash != std::string::npos;
         slash = plan.executable.find('/', slash + 1)) {
      plan.steps.push_back({JailStep::kDirectory, root + plan.executable.substr(0, slash), ""});
    }
    plan.steps.push_back({JailStep::kBindFile, root + plan.executable, plan.executable});
  }
  return plan;
}

const char* EnterJail(const JailPlan& plan) {
  // A mount namespace of its own, and / private in it: nothing mounted below reaches the host.
  if (::unshare(CLONE_NEWNS) != 0) return "unshare(CLONE_NEWNS)";
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return "make / private";
  }
  const char* root = plan.root.c_str();
  if (::mount("pv-jail", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") != 0) {
    return "mount the jail's tmpfs";
  }
  for (const JailStep& s : plan.steps) {
    const char* target = s.target.c_str();
    switch (s.kind) {
      case JailStep::kDirectory:
        if (::mkdir(target, 0755) != 0 && errno != EEXIST) return "mkdir in the jail";
        break;
      case JailStep::kSymlink:
        if (::symlink(s.source.c_str(), target) != 0) return "symlink in the jail";
        break;
      case JailStep::kBindDirectory:
        if (::mkdir(target, 0755) != 0) return "mkdir in the jail";
        if (!BindReadOnly(s.source.c_str(), target, false)) return "bind a directory";
        break;
      case JailStep::kBindFile: {
        const int fd = ::open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) return "create a mount point in the jail";
        ::close(fd);
        if (!BindReadOnly(s.source.c_str(), target, s.device)) return "bind a file";
        break;
      }
    }
  }
  if (::mkdir(plan.proc.c_str(), 0555) != 0) return "mkdir /proc in the jail";
  // hidepid=2: once QEMU has dropped root it sees only processes of its own user.
  if (::mount("proc", plan.proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") !=
      0) {
    return "mount /proc in the jail";
  }
  if (::mount(nullptr, root, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) !=
      0) {
    return "remount the jail read-only";
  }
  // pivot_root(".", "."): the old root ends up stacked on the new one and is detached at once,
  // so no path leads back to the host's tree (unlike chroot, which a root process escapes).
  if (::chdir(root) != 0) return "chdir into the jail";
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return "pivot_root";
  if (::umount2(".", MNT_DETACH) != 0) return "detach the old root";
  if (::chdir("/") != 0) return "chdir /";
  return nullptr;
}

absl::Status ProbeJail(const std::string& scratch_root) {
  absl::StatusOr<JailPlan> plan = PlanJail(scratch_root, "sh", /*kvm=*/false);
  if (!plan.ok()) return plan.status();
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return ErrnoStatus("pipe", "for the jail probe");
  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus("fork", "for the jail probe");
  if (pid == 0) {
    const char* failed = EnterJail(*plan);
    if (failed == nullptr && ::access("/usr", X_OK) != 0) failed = "see /usr in the jail";
    if (failed != nullptr) {
      const char* reason = strerror(errno);
      (void)!::write(report[1], failed, std::strlen(failed));
      (void)!::write(report[1], ": ", 2);
      (void)!::write(report[1], reason, std::strlen(reason));
      ::_exit(1);
    }
    ::_exit(0);
  }
  ::close(report[1]);
  char text[256];
  ssize_t n;
  while ((n = ::read(report[0], text, sizeof(text) - 1)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  int ws = 0;
  while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(n > 0 ? std::string(text, n)
                                             : std::string("the jail probe failed"));
}

}  // namespace pv::agent
