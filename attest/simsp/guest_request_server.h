// The simulated AMD-SP's guest-request service for ONE partition: it holds the partition's
// VMPCK0-3 (which it also puts into the launch's secrets page) and answers guest messages
// (protocol/attest/snp_guest_msg.h) byte-exact as the SEV-SNP firmware does:
//   - the message is hostile input: copied once, every header field and size checked;
//   - AES-256-GCM with VMPCK<msg_vmpck>, IV = msg_seqno (LE, 12 bytes), AAD = header 0x30..0x5F;
//   - the request must carry exactly the next sequence number for that VMPCK (a replay or an
//     old number is refused); the response carries request + 1;
//   - any authentication or sequence failure wipes that VMPCK here: like hardware whose guest
//     has lost sync, it never answers with that key again (no IV is ever reused).
// Under the TDX personality it also stands in for the TDX module's RTMRs: kMsgSimRtmrExtendReq
// extends them (SHA-384), every TDREPORT carries them, and they are persisted with the rest of
// the state. On TDX hardware the module keeps the RTMRs and nothing on the host can touch them.
// MSG_REPORT_REQ -> MSG_REPORT_RSP with an ATTESTATION_REPORT v5: MEASUREMENT = the launch
// digest, POLICY/HOST_DATA/FAMILY_ID/IMAGE_ID from the partition spec, REPORT_DATA from the
// request, CHIP_ID/TCB of the simulated chip, signed with the simulated VCEK.
#ifndef PV_ATTEST_SIMSP_GUEST_REQUEST_SERVER_H_
#define PV_ATTEST_SIMSP_GUEST_REQUEST_SERVER_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "attest/simsp/sim_amd_sp.h"
#include "protocol/attest/secrets_page.h"
#include "protocol/attest/snp_guest_msg.h"

namespace pv::attest::simsp {

struct PartitionIdentity {
  std::array<uint8_t, 48> measurement{};  // SNP launch digest
  uint64_t policy = 0x30000;              // SMT allowed, reserved bit 17
  std::array<uint8_t, 32> host_data{};
  std::array<uint8_t, 16> family_id{};
  std::array<uint8_t, 16> image_id{};
  bool tdx_personality = false;    // tee = tdx: TD reports instead of SNP reports
  std::array<uint8_t, 48> mrtd{};  // TDX: the launch's MRTD
  uint64_t td_attributes = 0;      // TDX: TD_ATTRIBUTES (bit 0 DEBUG)
};

// TDREPORT_STRUCT (TDX module ABI) offsets used by the simulated TDX personality.
inline constexpr size_t kTdReportMacedBytes = 224;  // REPORTMACSTRUCT before the MAC
inline constexpr size_t kTdReportMacOffset = 224;   // MAC[32]
inline constexpr size_t kTdReportDataOffset = 128;  // REPORTDATA[64]
inline constexpr size_t kTdTeeTcbInfoOffset = 256;  // TEE_TCB_INFO[239]
inline constexpr size_t kTdTeeTcbInfoSize = 239;
inline constexpr size_t kTdInfoOffset = 512;  // TDINFO[512]
inline constexpr size_t kTdInfoMrtdOffset = 512 + 16;
inline constexpr size_t kTdInfoRtmrOffset = 512 + 208;  // RTMR0..3 (4 x 48)

using Vmpck = std::array<uint8_t, pv::attest_proto::kVmpckSize>;

class GuestRequestServer {
 public:
  // Fresh random VMPCKs and REPORT_ID.
  static absl::StatusOr<std::unique_ptr<GuestRequestServer>> Create(const SimulatedAmdSp* sp,
                                                                    const PartitionIdentity& id);
  // Fixed VMPCKs (tests).
  GuestRequestServer(const SimulatedAmdSp* sp, const PartitionIdentity& id,
                     const std::array<Vmpck, 4>& vmpcks);
  ~GuestRequestServer();

  // The SECRETS page the launch writes at kSecretsPageGpa (layout version 3, VMPCK0-3).
  std::vector<uint8_t> SecretsPage() const;

  // One guest message in, the response message out. Errors (the host relays them as a
  // failed request) name the problem but never contain key material. With persistence on,
  // the changed state (sequence numbers, wiped keys) is on disk before the answer leaves.
  absl::StatusOr<std::vector<uint8_t>> Handle(std::span<const uint8_t> message);

  // Persistence (guest_request_state.h): writes the state to `path` (mode 0600) now and after
  // every change.
  absl::Status PersistTo(const std::string& path);
  // A server from a persisted state file (agent restart, re-attach); it keeps persisting there.
  static absl::StatusOr<std::unique_ptr<GuestRequestServer>> Restore(const SimulatedAmdSp* sp,
                                                                     const std::string& path);

  bool VmpckWiped(unsigned index) const;
  // The simulated TDX module's RTMR[index] (tests).
  std::array<uint8_t, 48> Rtmr(unsigned index) const;

  // The launch digests, known only after the launch (which needs SecretsPage()) was written.
  void SetMeasurement(const std::array<uint8_t, 48>& measurement,
                      const std::array<uint8_t, 48>& mrtd = {});

  // TDX personality: checks a TDREPORT's MAC (what the simulated quoting enclave would do
  // before quoting it). The MAC key never leaves this object.
  bool VerifyTdReportMac(std::span<const uint8_t> tdreport) const;
  // What the simulated QE checks before quoting a TDREPORT (hostile bytes from the host):
  // size, REPORTTYPE, the MAC, and TEE_TCB_INFO / TDINFO against their hashes in the MAC'd part.
  absl::Status CheckTdReport(std::span<const uint8_t> tdreport) const;

 private:
  absl::StatusOr<std::vector<uint8_t>> Respond(unsigned vmpck, uint64_t seqno, uint8_t type,
                                               std::span<const uint8_t> payload)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<uint8_t> ReportResponse(std::span<const uint8_t> request, unsigned vmpl_floor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<uint8_t> TdReportResponse(std::span<const uint8_t> request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<uint8_t> RtmrExtendResponse(std::span<const uint8_t> request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wipe(unsigned index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<uint8_t>> Process(std::span<const uint8_t> message);
  absl::Status WriteState() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SimulatedAmdSp* sp_;
  PartitionIdentity id_ ABSL_GUARDED_BY(mu_);
  std::array<uint8_t, 32> report_id_{};
  std::array<uint8_t, 32> td_mac_key_{};  // the simulated TDX module's report MAC key
  mutable absl::Mutex mu_;
  std::array<Vmpck, 4> vmpck_ ABSL_GUARDED_BY(mu_);
  std::array<bool, 4> wiped_ ABSL_GUARDED_BY(mu_){};
  std::array<uint64_t, 4> next_seqno_ ABSL_GUARDED_BY(mu_){1, 1, 1, 1};
  std::array<std::array<uint8_t, 48>, 4> rtmr_ ABSL_GUARDED_BY(mu_){};  // TDX: RTMR0..3
  std::string state_path_ ABSL_GUARDED_BY(mu_);                         // empty: not persisted
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;  // changed since the last WriteState
};

// AES-256-GCM with the guest-message conventions; exposed for the tests' guest side.
// Returns false on authentication failure (decrypt).
bool GuestMsgSeal(const Vmpck& key, uint64_t seqno, std::span<const uint8_t> aad,
                  std::span<const uint8_t> plaintext, uint8_t* ciphertext, uint8_t tag[16]);
bool GuestMsgOpen(const Vmpck& key, uint64_t seqno, std::span<const uint8_t> aad,
                  std::span<const uint8_t> ciphertext, const uint8_t tag[16], uint8_t* plaintext);

// Builds an encrypted guest message (what the paravisor does); for tests and benchmarks.
std::vector<uint8_t> BuildGuestMessage(const Vmpck& key, unsigned vmpck_index, uint64_t seqno,
                                       uint8_t type, std::span<const uint8_t> payload);

}  // namespace pv::attest::simsp

#endif  // PV_ATTEST_SIMSP_GUEST_REQUEST_SERVER_H_
