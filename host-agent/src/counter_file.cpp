#include "counter_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "errno_status.h"
#include "file_util.h"
#include "unique_fd.h"

namespace pv::agent {

// Every field is 8-byte aligned and written with one atomic store: a crash between two stores
// leaves each counter whole (at worst one counter a batch behind another).
struct CounterFile::Layout {
  uint64_t magic;
  uint64_t version;
  uint64_t proxy[5];  // ProxyCounters in declaration order
  uint64_t total, proxied, proxy_errors, console_bytes;
  uint64_t reason_count;
  uint64_t reasons[kMaxReasons][2];  // reason, count
};

namespace {
constexpr uint64_t kMagic = 0x52544e4354505650;  // "PVPTCNTR"
constexpr uint64_t kVersion = 1;
constexpr size_t kFileSize = 4096;

void Store(uint64_t* field, uint64_t value) {
  __atomic_store_n(field, value, __ATOMIC_RELAXED);
}
uint64_t Load(const uint64_t* field) {
  return __atomic_load_n(field, __ATOMIC_RELAXED);
}

absl::StatusOr<void*> Map(int fd, const std::string& path) {
  void* base = ::mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return ErrnoStatus("mmap", path);
  return base;
}
}  // namespace

absl::StatusOr<std::unique_ptr<CounterFile>> CounterFile::Create(const std::string& path) {
  static_assert(sizeof(Layout) <= kFileSize);
  absl::StatusOr<UniqueFd> fd = CreateAllocatedFile(path, kFileSize);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<void*> base = Map(fd->get(), path);
  if (!base.ok()) return base.status();
  auto* layout = static_cast<Layout*>(*base);
  Store(&layout->version, kVersion);
  Store(&layout->magic, kMagic);
  return std::unique_ptr<CounterFile>(new CounterFile(layout));
}

absl::StatusOr<std::unique_ptr<CounterFile>> CounterFile::Open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open", path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat", path);
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != kFileSize) {
    return absl::DataLossError(absl::StrCat(path, ": not a ", kFileSize, "-byte counter file"));
  }
  absl::StatusOr<void*> base = Map(fd.get(), path);
  if (!base.ok()) return base.status();
  auto* layout = static_cast<Layout*>(*base);
  if (Load(&layout->magic) != kMagic || Load(&layout->version) != kVersion ||
      Load(&layout->reason_count) > kMaxReasons) {
    ::munmap(layout, kFileSize);
    return absl::DataLossError(absl::StrCat(path, ": bad magic, version or reason count"));
  }
  return std::unique_ptr<CounterFile>(new CounterFile(layout));
}

CounterFile::~CounterFile() {
  ::munmap(layout_, kFileSize);
}

ProxyCounters CounterFile::proxy() const {
  return ProxyCounters{Load(&layout_->proxy[0]), Load(&layout_->proxy[1]), Load(&layout_->proxy[2]),
                       Load(&layout_->proxy[3]), Load(&layout_->proxy[4])};
}

void CounterFile::StoreProxy(const ProxyCounters& c) {
  Store(&layout_->proxy[0], c.round_trips);
  Store(&layout_->proxy[1], c.notifications);
  Store(&layout_->proxy[2], c.errors);
  Store(&layout_->proxy[3], c.doorbells_received);
  Store(&layout_->proxy[4], c.doorbells_sent);
}

ExitCounters CounterFile::exits() const {
  ExitCounters c{Load(&layout_->total),
                 Load(&layout_->proxied),
                 Load(&layout_->proxy_errors),
                 Load(&layout_->console_bytes),
                 {}};
  const uint64_t n = std::min<uint64_t>(Load(&layout_->reason_count), kMaxReasons);
  for (uint64_t i = 0; i < n; ++i) {
    c.by_reason.emplace_back(static_cast<uint32_t>(Load(&layout_->reasons[i][0])),
                             Load(&layout_->reasons[i][1]));
  }
  return c;
}

void CounterFile::StoreExits(const ExitCounters& c) {
  Store(&layout_->total, c.total);
  Store(&layout_->proxied, c.proxied);
  Store(&layout_->proxy_errors, c.proxy_errors);
  Store(&layout_->console_bytes, c.console_bytes);
  const size_t n = std::min(c.by_reason.size(), kMaxReasons);
  for (size_t i = 0; i < n; ++i) {
    Store(&layout_->reasons[i][0], c.by_reason[i].first);
    Store(&layout_->reasons[i][1], c.by_reason[i].second);
  }
  Store(&layout_->reason_count, n);
}

}  // namespace pv::agent
