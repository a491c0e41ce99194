// The SPSC ring over shared memory: ordering, full/empty, doorbell suppression, and what a
// hostile peer can do to the indices and slot lengths.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "ring/spsc_ring.h"

namespace pv::proxy {
namespace {

std::unique_ptr<Ring> NewRing() {
  auto ring = std::make_unique<Ring>();
  std::memset(ring.get(), 0, sizeof(Ring));
  return ring;
}

TEST(RingTest, MessagesArriveInOrderWithTheirLengths) {
  auto ring = NewRing();
  RingProducer producer(ring.get(), 0);
  RingConsumer consumer(ring.get(), 0);
  bool doorbell = false;
  for (uint32_t i = 0; i < 3 * kSlotCount; ++i) {
    const std::string msg = "message " + std::to_string(i);
    ASSERT_EQ(producer.Push(msg.data(), msg.size(), &doorbell), RingStatus::kOk);
    uint8_t out[kMaxMessageSize];
    uint32_t length = 0;
    ASSERT_EQ(consumer.Pop(out, sizeof(out), &length), RingStatus::kOk);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(out), length), msg);
  }
  uint32_t length = 0;
  uint8_t out[8];
  EXPECT_EQ(consumer.Pop(out, sizeof(out), &length), RingStatus::kEmpty);
}

TEST(RingTest, FullRingRefusesUntilTheConsumerFreesASlot) {
  auto ring = NewRing();
  RingProducer producer(ring.get(), 0);
  RingConsumer consumer(ring.get(), 0);
  bool doorbell = false;
  const uint8_t byte = 0x5a;
  for (uint32_t i = 0; i < kSlotCount; ++i) {
    ASSERT_EQ(producer.Push(&byte, 1, &doorbell), RingStatus::kOk);
  }
  EXPECT_EQ(producer.Push(&byte, 1, &doorbell), RingStatus::kFull);
  uint8_t out[4];
  uint32_t length;
  ASSERT_EQ(consumer.Pop(out, sizeof(out), &length), RingStatus::kOk);
  EXPECT_EQ(producer.Push(&byte, 1, &doorbell), RingStatus::kOk);
}

TEST(RingTest, DoorbellOnlyWhenTheConsumerIsNotPolling) {
  auto ring = NewRing();
  RingProducer producer(ring.get(), 0);
  RingConsumer consumer(ring.get(), 0);
  bool doorbell = false;
  const uint8_t byte = 1;
  ASSERT_EQ(producer.Push(&byte, 1, &doorbell), RingStatus::kOk);
  EXPECT_TRUE(doorbell);
  consumer.SetPolling(true);
  ASSERT_EQ(producer.Push(&byte, 1, &doorbell), RingStatus::kOk);
  EXPECT_FALSE(doorbell);
  consumer.SetPolling(false);
  ASSERT_EQ(producer.Push(&byte, 1, &doorbell), RingStatus::kOk);
  EXPECT_TRUE(doorbell);
}

TEST(RingTest, OversizeMessagesAreRefusedByTheProducer) {
  auto ring = NewRing();
  RingProducer producer(ring.get(), 0);
  std::vector<uint8_t> big(kMaxMessageSize + 1);
  bool doorbell;
  EXPECT_EQ(producer.Push(big.data(), big.size(), &doorbell), RingStatus::kOversize);
  std::vector<uint8_t> exact(kMaxMessageSize);
  EXPECT_EQ(producer.Push(exact.data(), exact.size(), &doorbell), RingStatus::kOk);
}

TEST(RingTest, HostileProducerIndexIsDetected) {
  auto ring = NewRing();
  RingConsumer consumer(ring.get(), 0);
  ring->control.producer.value = kSlotCount + 1;  // claims more messages than slots
  uint8_t out[16];
  uint32_t length;
  EXPECT_EQ(consumer.Pop(out, sizeof(out), &length), RingStatus::kCorruptIndex);
  EXPECT_EQ(consumer.tail(), 0u) << "a corrupt index must not move the consumer";
}

TEST(RingTest, HostileConsumerIndexIsDetected) {
  auto ring = NewRing();
  RingProducer producer(ring.get(), 0);
  ring->control.consumer.value = 5;  // consumed messages that were never produced
  bool doorbell;
  const uint8_t byte = 0;
  EXPECT_EQ(producer.Push(&byte, 1, &doorbell), RingStatus::kCorruptIndex);
}

TEST(RingTest, ImpossibleSlotLengthIsConsumedAndReported) {
  auto ring = NewRing();
  RingProducer producer(ring.get(), 0);
  RingConsumer consumer(ring.get(), 0);
  bool doorbell;
  const uint8_t byte = 7;
  ASSERT_EQ(producer.Push(&byte, 1, &doorbell), RingStatus::kOk);
  ASSERT_EQ(producer.Push(&byte, 1, &doorbell), RingStatus::kOk);
  // The peer rewrites the first slot's length after publishing it.
  reinterpret_cast<SlotHeader*>(ring->slots[0])->length = 0xffffffffu;
  uint8_t out[kMaxMessageSize];
  uint32_t length = 123;
  EXPECT_EQ(consumer.Pop(out, sizeof(out), &length), RingStatus::kOversize);
  EXPECT_EQ(length, 0u);
  // The ring moves on: the next message is intact.
  ASSERT_EQ(consumer.Pop(out, sizeof(out), &length), RingStatus::kOk);
  EXPECT_EQ(length, 1u);
  EXPECT_EQ(out[0], 7);
}

TEST(RingTest, CallerBufferLimitIsEnforced) {
  auto ring = NewRing();
  RingProducer producer(ring.get(), 0);
  RingConsumer consumer(ring.get(), 0);
  bool doorbell;
  uint8_t msg[64] = {};
  ASSERT_EQ(producer.Push(msg, sizeof(msg), &doorbell), RingStatus::kOk);
  uint8_t small[16];
  uint32_t length;
  EXPECT_EQ(consumer.Pop(small, sizeof(small), &length), RingStatus::kOversize);
}

TEST(RingTest, TwoThreadsExchangeManyMessagesWithoutLossOrReordering) {
  auto ring = NewRing();
  constexpr uint32_t kMessages = 200000;
  std::thread producer_thread([&] {
    RingProducer producer(ring.get(), 0);
    bool doorbell;
    for (uint32_t i = 0; i < kMessages;) {
      if (producer.Push(&i, sizeof(i), &doorbell) == RingStatus::kOk) ++i;
    }
  });
  RingConsumer consumer(ring.get(), 0);
  for (uint32_t expected = 0; expected < kMessages;) {
    uint32_t value = 0, length = 0;
    RingStatus st = consumer.Pop(&value, sizeof(value), &length);
    if (st == RingStatus::kEmpty) continue;
    ASSERT_EQ(st, RingStatus::kOk);
    ASSERT_EQ(value, expected);
    ++expected;
  }
  producer_thread.join();
}

TEST(RingLayoutTest, SharedLayoutFitsAndIsCacheLineSeparated) {
  EXPECT_EQ(offsetof(RingControl, producer) / kCacheLineSize,
            offsetof(RingControl, producer) / kCacheLineSize);
  EXPECT_NE(offsetof(RingControl, producer) / kCacheLineSize,
            offsetof(RingControl, consumer) / kCacheLineSize);
  EXPECT_LE(kChannelOffset + kMaxVcpus * sizeof(VcpuChannel), kSharedSize);
  EXPECT_EQ(IvshmemDoorbellValue(3, 2), 0x00030002u);
}

}  // namespace
}  // namespace pv::proxy
