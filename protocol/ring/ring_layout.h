// Layout of the exit-proxy shared memory (ivshmem BAR2 in the partition, a mapped file in the
// host agent).
//
// Freestanding: included by the paravisor firmware (no libstdc++, no exceptions, no allocation)
// and by the host agent. Only <stdint.h>/<stddef.h>; every layout fact is a static_assert so a
// change that would make the two sides disagree fails to compile.
//
// Shape (see README "Host agent"): one header page, then one channel per vCPU; a channel is a
// request ring (paravisor -> agent) and a response ring (agent -> paravisor). Each ring is a
// single-producer single-consumer array of fixed-size slots with free-running 32-bit indices,
// each index on its own cache line (the producer writes only `producer`, the consumer writes
// only `consumer` and `consumer_polling`). `consumer_polling` is the doorbell-suppression flag
// (VMBus `interrupt_mask`, virtio `NO_NOTIFY`): while it is 1 the producer does not ring.
#ifndef PV_PROTOCOL_RING_RING_LAYOUT_H_
#define PV_PROTOCOL_RING_RING_LAYOUT_H_

#include <stddef.h>
#include <stdint.h>

namespace pv::proxy {

inline constexpr uint32_t kSharedMagic = 0x50585650u;  // bytes "PVXP"
inline constexpr uint16_t kLayoutVersion = 1;
inline constexpr uint32_t kCacheLineSize = 64;
inline constexpr uint32_t kHeaderSize = 4096;
inline constexpr uint32_t kSlotSize = 512;  // bytes per slot, slot header included
inline constexpr uint32_t kSlotCount = 32;  // power of two: index & (count - 1) picks a slot
inline constexpr uint32_t kMaxVcpus = 8;
// ivshmem maps the file as a PCI BAR, whose size must be a power of two.
inline constexpr uint64_t kSharedSize = 1u << 20;

// A 32-bit word alone on its cache line, so the two sides never write the same line.
struct alignas(64) IsolatedWord {
  uint32_t value;
  uint8_t pad[60];
};
static_assert(sizeof(IsolatedWord) == kCacheLineSize);

struct RingControl {
  IsolatedWord producer;          // written by the producer: index of the next slot to fill
  IsolatedWord consumer;          // written by the consumer: index of the next slot to read
  IsolatedWord consumer_polling;  // written by the consumer: 1 = "I am polling, don't ring"
  IsolatedWord reserved;
};
static_assert(sizeof(RingControl) == 4 * kCacheLineSize);
static_assert(offsetof(RingControl, consumer) == 64);
static_assert(offsetof(RingControl, consumer_polling) == 128);

struct SlotHeader {
  uint32_t length;    // payload bytes that follow the header
  uint32_t reserved;  // keeps the payload 8-byte aligned (flatbuffers needs it)
};
static_assert(sizeof(SlotHeader) == 8);
inline constexpr uint32_t kMaxMessageSize = kSlotSize - sizeof(SlotHeader);

struct Ring {
  RingControl control;
  uint8_t slots[kSlotCount][kSlotSize];
};
static_assert(sizeof(Ring) == 256 + kSlotCount * kSlotSize);
static_assert((kSlotCount & (kSlotCount - 1)) == 0, "slot count must be a power of two");

struct VcpuChannel {
  Ring request;   // paravisor produces, agent consumes
  Ring response;  // agent produces, paravisor consumes
};

// Who is attached, as recorded in the header by each side.
enum class PeerState : uint32_t {
  kAbsent = 0,
  kReady = 1,    // attached and serving
  kStopped = 2,  // detached for good (paravisor: guest finished)
};

// The first page. The agent writes it once before the partition starts; the paravisor copies
// it out once and validates it before it touches any ring.
struct SharedHeader {
  uint32_t magic;           // kSharedMagic
  uint16_t layout_version;  // kLayoutVersion
  uint16_t header_size;     // kHeaderSize
  uint32_t vcpu_count;      // channels present, 1..kMaxVcpus
  uint32_t slot_size;       // kSlotSize
  uint32_t slot_count;      // kSlotCount
  uint32_t channel_offset;  // byte offset of channel 0 from the start of shared memory
  uint32_t channel_stride;  // sizeof(VcpuChannel)
  uint32_t agent_peer_id;   // ivshmem peer id to write into the doorbell register
  uint32_t agent_vector;    // ivshmem vector the agent listens on
  uint32_t reserved0;
  uint64_t total_size;                   // kSharedSize
  alignas(64) IsolatedWord agent_state;  // PeerState, written by the agent
  IsolatedWord paravisor_state;          // PeerState, written by the paravisor
  IsolatedWord paravisor_doorbells;      // doorbells rung by the paravisor (statistics)
  IsolatedWord agent_doorbells;          // doorbells rung by the agent (statistics)
  // Appended: where the bulk areas are (0 = this agent offers none; see VcpuBulk below).
  uint32_t bulk_offset;  // kBulkOffset
  uint32_t bulk_stride;  // sizeof(VcpuBulk)
};
static_assert(sizeof(SharedHeader) <= kHeaderSize);
static_assert(offsetof(SharedHeader, total_size) == 40);
static_assert(offsetof(SharedHeader, agent_state) == 64);

inline constexpr uint32_t kChannelOffset = kHeaderSize;
static_assert(kChannelOffset + kMaxVcpus * sizeof(VcpuChannel) <= kSharedSize,
              "all channels must fit in the shared memory");
static_assert(kChannelOffset % kCacheLineSize == 0);
static_assert(sizeof(VcpuChannel) % kCacheLineSize == 0);

// Bulk areas (appended to layout version 1: an agent that does not write bulk_offset offers
// none): per vCPU, one area the paravisor writes (attestation requests) and one the agent writes
// (their responses), for messages larger than a ring slot. A ring message names the bytes by
// offset and length; the receiver checks that they lie inside the *sender's* area of *its own*
// vCPU and copies them out once before looking at them. Each area has one writer, and a message
// is published (ring producer index, release) only after its bulk bytes are written, and the
// writer touches the area again only after the answer to that message has arrived.
//
// The agent-initiated evidence request lives here too: the agent writes REPORT_DATA and then
// bumps `evidence_request` (release); the paravisor, which polls the word at its exit-statistics
// points, answers with an AgentEvidence message carrying that sequence number.
inline constexpr uint32_t kBulkOffset = 0x80000;
inline constexpr uint32_t kBulkRequestSize = 16384;   // paravisor -> agent (a KBS attest body)
inline constexpr uint32_t kBulkResponseSize = 32768;  // agent -> paravisor (a quote + PCK chain)
inline constexpr uint32_t kEvidenceReportDataSize = 64;

struct AgentEvidenceControl {
  IsolatedWord evidence_request;                 // written by the agent: bumped once per request
  uint8_t report_data[kEvidenceReportDataSize];  // written by the agent before the bump
  uint8_t reserved[128 - kEvidenceReportDataSize];
};
static_assert(sizeof(AgentEvidenceControl) == 192);

struct VcpuBulk {
  AgentEvidenceControl agent_evidence;
  uint8_t pad[4096 - sizeof(AgentEvidenceControl)];
  uint8_t request[kBulkRequestSize];    // written by the paravisor
  uint8_t response[kBulkResponseSize];  // written by the agent
};
static_assert(sizeof(VcpuBulk) == 4096 + kBulkRequestSize + kBulkResponseSize);
static_assert(offsetof(VcpuBulk, request) == 4096);
static_assert(kBulkOffset >= kChannelOffset + kMaxVcpus * sizeof(VcpuChannel),
              "bulk areas must not overlap the rings");
static_assert(kBulkOffset + kMaxVcpus * sizeof(VcpuBulk) <= kSharedSize,
              "all bulk areas must fit in the shared memory");
static_assert(offsetof(SharedHeader, bulk_offset) == 320);

// Byte range [offset, offset + length) of shared memory lies inside [area, area + size).
constexpr bool BulkRangeInside(uint64_t offset, uint64_t length, uint64_t area, uint64_t size) {
  return offset >= area && length <= size && offset - area <= size - length;
}
constexpr uint64_t BulkAreaOf(uint32_t vcpu) {
  return kBulkOffset + static_cast<uint64_t>(vcpu) * sizeof(VcpuBulk);
}
constexpr uint64_t BulkRequestOffset(uint32_t vcpu) {
  return BulkAreaOf(vcpu) + offsetof(VcpuBulk, request);
}
constexpr uint64_t BulkResponseOffset(uint32_t vcpu) {
  return BulkAreaOf(vcpu) + offsetof(VcpuBulk, response);
}

// ivshmem BAR0 registers (QEMU docs/specs/ivshmem-spec.txt).
inline constexpr uint32_t kIvshmemVendorId = 0x1af4;
inline constexpr uint32_t kIvshmemDeviceId = 0x1110;
inline constexpr uint32_t kIvshmemRegIntrMask = 0;
inline constexpr uint32_t kIvshmemRegIntrStatus = 4;
inline constexpr uint32_t kIvshmemRegIvPosition = 8;
inline constexpr uint32_t kIvshmemRegDoorbell = 12;

// Doorbell register value that interrupts `peer` on `vector`.
constexpr uint32_t IvshmemDoorbellValue(uint32_t peer, uint32_t vector) {
  return (peer << 16) | (vector & 0xffffu);
}

// The agent is peer 0 of every partition's ivshmem server, QEMU (the paravisor) is peer 1.
inline constexpr uint32_t kAgentPeerId = 0;
inline constexpr uint32_t kParavisorPeerId = 1;
inline constexpr uint32_t kDoorbellVector = 0;

}  // namespace pv::proxy

#endif  // PV_PROTOCOL_RING_RING_LAYOUT_H_
