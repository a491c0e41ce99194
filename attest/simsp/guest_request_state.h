// The per-partition state of the simulated secure processor, persisted so that an agent that
// restarts and re-attaches to a running partition can keep answering its guest messages: the
// VMPCKs, which of them were wiped, the next sequence number per VMPCK, REPORT_ID, the simulated
// TDX module's report MAC key and RTMRs and the partition identity the reports carry. Real hardware
// keeps all of this inside the AMD-SP / TDX module and nothing on the host ever sees it; here the
// secure processor is simulated, so it lives in the partition's directory, mode 0600.
//
// File format (little-endian, fixed size kGuestRequestStateSize, rewritten atomically after
// every change, before the answer that depends on it leaves):
//   0  magic "PVSIMSP\0", 8  version u32 (1), 12 flags u32 (bit 0: TDX personality),
//   16 VMPCK0-3 (4 x 32), 144 wiped[4] (0/1), 148 reserved[4] (0), 152 next_seqno[4] (u64),
//   184 REPORT_ID[32], 216 TD MAC key[32], 248 MEASUREMENT[48], 296 MRTD[48], 344 POLICY u64,
//   352 TD_ATTRIBUTES u64, 360 HOST_DATA[32], 392 FAMILY_ID[16], 408 IMAGE_ID[16],
//   424 RTMR0-3 (4 x 48, the simulated TDX module's RTMRs; version 2),
//   616 SHA-256 of bytes 0..615 (detects truncation and corruption, not an attacker: whoever can
//   write the file owns the agent).
#ifndef PV_ATTEST_SIMSP_GUEST_REQUEST_STATE_H_
#define PV_ATTEST_SIMSP_GUEST_REQUEST_STATE_H_

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "protocol/attest/secrets_page.h"

namespace pv::attest::simsp {

struct PartitionIdentity;

inline constexpr size_t kGuestRequestStateSize = 648;

struct GuestRequestState {
  std::array<std::array<uint8_t, pv::attest_proto::kVmpckSize>, 4> vmpck{};
  std::array<bool, 4> wiped{};
  std::array<uint64_t, 4> next_seqno{1, 1, 1, 1};
  std::array<uint8_t, 32> report_id{};
  std::array<uint8_t, 32> td_mac_key{};
  bool tdx_personality = false;
  std::array<uint8_t, 48> measurement{};
  std::array<uint8_t, 48> mrtd{};
  uint64_t policy = 0;
  uint64_t td_attributes = 0;
  std::array<uint8_t, 32> host_data{};
  std::array<uint8_t, 16> family_id{};
  std::array<uint8_t, 16> image_id{};
  std::array<std::array<uint8_t, 48>, 4> rtmr{};

  ~GuestRequestState();  // wipes the keys
};

std::vector<uint8_t> EncodeGuestRequestState(const GuestRequestState& state);

// Hostile bytes (a file): exact size, magic, version, flags, wiped flags, reserved bytes, odd
// sequence numbers (requests carry odd numbers), checksum. The error names the problem.
absl::StatusOr<GuestRequestState> ParseGuestRequestState(std::span<const uint8_t> bytes);

}  // namespace pv::attest::simsp

#endif  // PV_ATTEST_SIMSP_GUEST_REQUEST_STATE_H_
