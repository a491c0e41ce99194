// The initramfs's /init for the Linux-guest tests: a static program of the project's own (no
// shell, no busybox) that proves the guest kernel reached userspace and that the paravisor's
// console, timer and syscall path work, then powers the guest off. Every line starts with
// "pv-init:" so the test harness can assert each one; a failed check prints "pv-init: FAIL".
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void Check(int ok, const char* what) {
  printf("pv-init: %s: %s\n", what, ok ? "ok" : "FAIL");
  if (!ok) ++failures;
}

// The "flags" line of the first CPU in /proc/cpuinfo: the features the guest kernel sees.
static void PrintCpuFlags(void) {
  FILE* f = fopen("/proc/cpuinfo", "r");
  char line[4096];
  int found = 0;
  while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "flags", 5) == 0) {
      const char* colon = strchr(line, ':');
      printf("pv-init: cpu flags:%s", colon != NULL ? colon + 1 : "\n");
      found = 1;
      break;
    }
  }
  if (f != NULL) fclose(f);
  Check(found, "read /proc/cpuinfo");
}

static double Now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// A file round trip on the root file system (the initramfs, writable) and a pipe.
static int FileAndPipeRoundTrip(void) {
  const char msg[] = "paravisor";
  char buf[sizeof(msg)] = {0};
  int fd = open("/pv-test", O_CREAT | O_RDWR | O_TRUNC, 0600);
  if (fd < 0 || write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg)) return 0;
  if (lseek(fd, 0, SEEK_SET) != 0 || read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) return 0;
  close(fd);
  if (memcmp(buf, msg, sizeof(msg)) != 0 || unlink("/pv-test") != 0) return 0;
  int p[2];
  memset(buf, 0, sizeof(buf));
  if (pipe(p) != 0 || write(p[1], msg, sizeof(msg)) != (ssize_t)sizeof(msg)) return 0;
  return read(p[0], buf, sizeof(buf)) == (ssize_t)sizeof(buf) && memcmp(buf, msg, sizeof(msg)) == 0;
}

// `pv_reboot` on the kernel command line (the kernel hands parameters it does not know to init
// as arguments) makes init restart the machine (reboot -f) instead of powering it off.
static int WantsReboot(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "pv_reboot") == 0) return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("pv-init: hello from userspace through the console\n");
  struct utsname u;
  Check(uname(&u) == 0, "uname");
  printf("pv-init: uname -r: %s\n", u.release);
  mkdir("/proc", 0555);
  Check(mount("proc", "/proc", "proc", 0, NULL) == 0, "mount /proc");
  PrintCpuFlags();
  Check(getpid() == 1, "getpid is 1");

  const double mono0 = Now(CLOCK_MONOTONIC);
  const struct timespec one_second = {1, 0};
  const int slept = nanosleep(&one_second, NULL) == 0;
  const double elapsed = Now(CLOCK_MONOTONIC) - mono0;
  printf("pv-init: sleep 1: monotonic clock advanced %.3f s\n", elapsed);
  Check(slept && elapsed >= 1.0 && elapsed < 30.0, "sleep 1 advanced time");
  Check(FileAndPipeRoundTrip(), "file and pipe syscalls");

  const int restart = WantsReboot(argc, argv);
  printf("pv-init: %s, %s\n", failures == 0 ? "all checks passed" : "FAILED",
         restart ? "restarting" : "powering off");
  sync();
  reboot(restart ? LINUX_REBOOT_CMD_RESTART : LINUX_REBOOT_CMD_POWER_OFF);
  printf("pv-init: FAIL: reboot() returned\n");
  return 1;
}
