// Single-producer single-consumer ring over the shared layout of ring_layout.h.
//
// Freestanding (firmware and host). The peer is untrusted: each side keeps its own index in
// private memory and only publishes it; the peer's index is read once per operation and checked
// (0 <= producer - consumer <= slot count) before it is used; a slot's length is read once and
// checked, and the payload is copied out once before anyone parses it (no double fetch).
#ifndef PV_PROTOCOL_RING_SPSC_RING_H_
#define PV_PROTOCOL_RING_SPSC_RING_H_

#include <stddef.h>
#include <stdint.h>

#include "ring_layout.h"  // sibling include: works without -I (the firmware includes by path)

namespace pv::proxy {

enum class RingStatus : uint8_t {
  kOk = 0,
  kEmpty,         // consumer: nothing to read
  kFull,          // producer: no free slot
  kCorruptIndex,  // the peer published an index that cannot be right
  kOversize,      // message longer than the slot / the caller's buffer
};

inline const char* RingStatusName(RingStatus status) {
  switch (status) {
    case RingStatus::kOk:
      return "ok";
    case RingStatus::kEmpty:
      return "empty";
    case RingStatus::kFull:
      return "full";
    case RingStatus::kCorruptIndex:
      return "corrupt index";
    case RingStatus::kOversize:
      return "oversize";
  }
  return "unknown";
}

namespace ring_detail {
inline uint32_t LoadAcquire(const uint32_t* p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
inline void StoreRelease(uint32_t* p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
inline void FullFence() {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
// Byte copy that the compiler may not merge with later reads of the same shared bytes.
inline void CopyFromShared(void* dst, const volatile uint8_t* src, uint32_t n) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  for (uint32_t i = 0; i < n; ++i) d[i] = src[i];
}
inline void CopyToShared(volatile uint8_t* dst, const void* src, uint32_t n) {
  const uint8_t* s = static_cast<const uint8_t*>(src);
  for (uint32_t i = 0; i < n; ++i) dst[i] = s[i];
}
}  // namespace ring_detail

class RingProducer {
 public:
  RingProducer() = default;
  // `start_index` is 0 for a fresh ring; a re-attaching producer passes the published index.
  RingProducer(Ring* ring, uint32_t start_index) : ring_(ring), head_(start_index) {}

  bool attached() const { return ring_ != nullptr; }
  uint32_t head() const { return head_; }

  // Copies `length` bytes into the next slot and publishes it. `*ring_doorbell` is set when the
  // consumer is not polling and must be woken.
  RingStatus Push(const void* message, uint32_t length, bool* ring_doorbell) {
    return PushClaimingLength(message, length, length, ring_doorbell);
  }

  // Push() with a slot header that claims `claimed_length` bytes while `length` are copied.
  // Only robustness self-tests use a claimed length that differs: it is what a hostile
  // producer can do, and consumers must survive it.
  RingStatus PushClaimingLength(const void* message, uint32_t length, uint32_t claimed_length,
                                bool* ring_doorbell) {
    *ring_doorbell = false;
    if (length > kMaxMessageSize) return RingStatus::kOversize;
    const uint32_t consumer = ring_detail::LoadAcquire(&ring_->control.consumer.value);
    const uint32_t used = head_ - consumer;
    if (used > kSlotCount) return RingStatus::kCorruptIndex;
    if (used == kSlotCount) return RingStatus::kFull;
    volatile uint8_t* slot = ring_->slots[head_ & (kSlotCount - 1)];
    SlotHeader header{claimed_length, 0};
    ring_detail::CopyToShared(slot, &header, sizeof(header));
    ring_detail::CopyToShared(slot + sizeof(SlotHeader), message, length);
    ++head_;
    ring_detail::StoreRelease(&ring_->control.producer.value, head_);
    // Pairs with the consumer's fence between clearing `consumer_polling` and its last look at
    // `producer`: one of the two sides always sees the other's write, so no wakeup is lost.
    ring_detail::FullFence();
    *ring_doorbell = __atomic_load_n(&ring_->control.consumer_polling.value, __ATOMIC_RELAXED) == 0;
    return RingStatus::kOk;
  }

 private:
  Ring* ring_ = nullptr;
  uint32_t head_ = 0;
};

class RingConsumer {
 public:
  RingConsumer() = default;
  RingConsumer(Ring* ring, uint32_t start_index) : ring_(ring), tail_(start_index) {}

  bool attached() const { return ring_ != nullptr; }
  uint32_t tail() const { return tail_; }

  // True when the producer has published a slot this consumer has not read.
  bool HasPending() const {
    return ring_detail::LoadAcquire(&ring_->control.producer.value) != tail_;
  }

  // Copies the next message into `out` (capacity `capacity`) and releases its slot. A slot
  // whose recorded length is impossible is consumed and reported as kOversize, so one bad
  // message cannot wedge the ring.
  RingStatus Pop(void* out, uint32_t capacity, uint32_t* length) {
    *length = 0;
    const uint32_t producer = ring_detail::LoadAcquire(&ring_->control.producer.value);
    const uint32_t available = producer - tail_;
    if (available == 0) return RingStatus::kEmpty;
    if (available > kSlotCount) return RingStatus::kCorruptIndex;
    const volatile uint8_t* slot = ring_->slots[tail_ & (kSlotCount - 1)];
    SlotHeader header;
    ring_detail::CopyFromShared(&header, slot, sizeof(header));
    RingStatus status = RingStatus::kOk;
    if (header.length > kMaxMessageSize || header.length > capacity) {
      status = RingStatus::kOversize;
    } else {
      ring_detail::CopyFromShared(out, slot + sizeof(SlotHeader), header.length);
      *length = header.length;
    }
    ++tail_;
    ring_detail::StoreRelease(&ring_->control.consumer.value, tail_);
    return status;
  }

  // Doorbell suppression: while polling, the producer does not ring.
  void SetPolling(bool polling) {
    ring_detail::StoreRelease(&ring_->control.consumer_polling.value, polling ? 1u : 0u);
    // See RingProducer::Push: after announcing "not polling", look at the ring once more
    // before sleeping.
    ring_detail::FullFence();
  }

 private:
  Ring* ring_ = nullptr;
  uint32_t tail_ = 0;
};

}  // namespace pv::proxy

#endif  // PV_PROTOCOL_RING_SPSC_RING_H_
