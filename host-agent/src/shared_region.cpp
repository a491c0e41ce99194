#include "shared_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "errno_status.h"
#include "file_util.h"

namespace pv::agent {

using proxy::kSharedSize;

namespace {
absl::StatusOr<void*> MapShared(int fd, const std::string& path) {
  void* base = ::mmap(nullptr, kSharedSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return ErrnoStatus("mmap", path);
  return base;
}
}  // namespace

absl::StatusOr<SharedRegion> SharedRegion::Create(const std::string& path, uint32_t vcpus) {
  if (vcpus == 0 || vcpus > proxy::kMaxVcpus) {
    return absl::InvalidArgumentError(
        absl::StrCat("vcpus ", vcpus, " out of range 1..", proxy::kMaxVcpus));
  }
  // Allocated, not just extended (a sparse file would SIGBUS the agent or QEMU on a full disk).
  absl::StatusOr<UniqueFd> created = CreateAllocatedFile(path, kSharedSize);
  if (!created.ok()) return created.status();
  UniqueFd fd = *std::move(created);
  absl::StatusOr<void*> base = MapShared(fd.get(), path);
  if (!base.ok()) return base.status();
  // The file was truncated to 0 and allocated: it reads as zeros.
  auto* h = static_cast<proxy::SharedHeader*>(*base);
  h->layout_version = proxy::kLayoutVersion;
  h->header_size = proxy::kHeaderSize;
  h->vcpu_count = vcpus;
  h->slot_size = proxy::kSlotSize;
  h->slot_count = proxy::kSlotCount;
  h->channel_offset = proxy::kChannelOffset;
  h->channel_stride = sizeof(proxy::VcpuChannel);
  h->agent_peer_id = proxy::kAgentPeerId;
  h->agent_vector = proxy::kDoorbellVector;
  h->total_size = kSharedSize;
  h->bulk_offset = proxy::kBulkOffset;
  h->bulk_stride = sizeof(proxy::VcpuBulk);
  // Magic last: a paravisor that sees it sees a complete header.
  __atomic_store_n(&h->magic, proxy::kSharedMagic, __ATOMIC_RELEASE);
  return SharedRegion(std::move(fd), *base, vcpus);
}

absl::StatusOr<SharedRegion> SharedRegion::Open(const std::string& path, uint32_t vcpus) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open", path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat", path);
  if (static_cast<uint64_t>(st.st_size) != kSharedSize) {
    return absl::DataLossError(
        absl::StrCat(path, ": size ", st.st_size, ", expected ", kSharedSize));
  }
  absl::StatusOr<void*> base = MapShared(fd.get(), path);
  if (!base.ok()) return base.status();
  SharedRegion region(std::move(fd), *base, vcpus);
  const proxy::SharedHeader* h = region.header();
  if (h->magic != proxy::kSharedMagic || h->vcpu_count != vcpus ||
      h->channel_offset != proxy::kChannelOffset) {
    return absl::DataLossError(absl::StrCat(path, ": header does not match the partition"));
  }
  return region;
}

SharedRegion::SharedRegion(SharedRegion&& other) noexcept
    : fd_(std::move(other.fd_)), base_(std::exchange(other.base_, nullptr)), vcpus_(other.vcpus_) {}

SharedRegion& SharedRegion::operator=(SharedRegion&& other) noexcept {
  if (this != &other) {
    if (base_ != nullptr) ::munmap(base_, kSharedSize);
    fd_ = std::move(other.fd_);
    base_ = std::exchange(other.base_, nullptr);
    vcpus_ = other.vcpus_;
  }
  return *this;
}

SharedRegion::~SharedRegion() {
  if (base_ != nullptr) ::munmap(base_, kSharedSize);
}

proxy::VcpuChannel* SharedRegion::channel(uint32_t vcpu) const {
  return reinterpret_cast<proxy::VcpuChannel*>(static_cast<uint8_t*>(base_) +
                                               proxy::kChannelOffset) +
         vcpu;
}

proxy::VcpuBulk* SharedRegion::bulk(uint32_t vcpu) const {
  return reinterpret_cast<proxy::VcpuBulk*>(static_cast<uint8_t*>(base_) + proxy::kBulkOffset) +
         vcpu;
}

}  // namespace pv::agent
