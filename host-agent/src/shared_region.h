// The exit-proxy shared memory on the agent side: a file of kSharedSize bytes in the
// partition's state directory, mapped here and handed to QEMU (ivshmem BAR2) by fd. A file
// rather than a memfd so that a restarted agent can map the same memory again.
#ifndef PV_HOST_AGENT_SHARED_REGION_H_
#define PV_HOST_AGENT_SHARED_REGION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "ring/ring_layout.h"
#include "unique_fd.h"

namespace pv::agent {

class SharedRegion {
 public:
  // Creates (truncating) the file and writes a fresh header for `vcpus` channels.
  static absl::StatusOr<SharedRegion> Create(const std::string& path, uint32_t vcpus);
  // Maps an existing file (agent restart); checks size and the agent-written header fields.
  static absl::StatusOr<SharedRegion> Open(const std::string& path, uint32_t vcpus);

  SharedRegion(SharedRegion&& other) noexcept;
  SharedRegion& operator=(SharedRegion&& other) noexcept;
  ~SharedRegion();

  int fd() const { return fd_.get(); }
  uint32_t vcpus() const { return vcpus_; }
  proxy::SharedHeader* header() const { return static_cast<proxy::SharedHeader*>(base_); }
  proxy::VcpuChannel* channel(uint32_t vcpu) const;
  proxy::VcpuBulk* bulk(uint32_t vcpu) const;  // attestation bulk area (ring_layout.h)
  uint8_t* base() const { return static_cast<uint8_t*>(base_); }

 private:
  SharedRegion(UniqueFd fd, void* base, uint32_t vcpus)
      : fd_(std::move(fd)), base_(base), vcpus_(vcpus) {}
  UniqueFd fd_;
  void* base_ = nullptr;
  uint32_t vcpus_ = 0;
};

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_SHARED_REGION_H_
