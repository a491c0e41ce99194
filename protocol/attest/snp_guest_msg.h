// SEV-SNP guest-request messages: the envelope a guest (here: the paravisor) uses to talk to the
// AMD Secure Processor through an untrusted host, and the MSG_REPORT_REQ/RSP payloads.
//
// Freestanding (firmware and host): only <stdint.h>/<stddef.h>; every offset is a static_assert.
// Layout facts from the SEV-SNP firmware ABI (see ../shared/reference/confidential.md §1d):
//   - a message is a 96-byte header followed by the AES-256-GCM ciphertext of the payload;
//   - key = VMPCK<msg_vmpck> from the secrets page; IV = msg_seqno little-endian in bytes 0..7,
//     bytes 8..11 zero; AAD = header bytes 0x30..0x5F; tag = authtag[0..15];
//   - the request carries seqno N (= last response + 1), the response must carry N + 1.
//
// The simulated secure processor (emulated platforms only) also answers a TDX personality over
// the same envelope, with message types of its own (kMsgSimTdReportReq/Rsp) that real AMD
// firmware does not define: on TDX hardware TDG.MR.REPORT is a TDCALL, not a host round trip.
#ifndef PV_PROTOCOL_ATTEST_SNP_GUEST_MSG_H_
#define PV_PROTOCOL_ATTEST_SNP_GUEST_MSG_H_

#include <stddef.h>
#include <stdint.h>

namespace pv::attest_proto {

inline constexpr uint8_t kAeadAes256Gcm = 1;
inline constexpr uint8_t kHeaderVersion = 1;
inline constexpr uint8_t kMessageVersion = 1;
inline constexpr uint32_t kPageSize = 4096;

// Message types (AMD SEV-SNP firmware ABI, chapter "guest messages").
inline constexpr uint8_t kMsgCpuidReq = 1;
inline constexpr uint8_t kMsgCpuidRsp = 2;
inline constexpr uint8_t kMsgKeyReq = 3;
inline constexpr uint8_t kMsgKeyRsp = 4;
inline constexpr uint8_t kMsgReportReq = 5;
inline constexpr uint8_t kMsgReportRsp = 6;
// Simulated platform only (not an AMD message type): TDX personality, TDG.MR.REPORT stand-in.
inline constexpr uint8_t kMsgSimTdReportReq = 0xE0;
inline constexpr uint8_t kMsgSimTdReportRsp = 0xE1;
// Simulated platform only: the stand-in for the TDX module's RTMR registers (TDG.MR.RTMR.EXTEND
// of the TD, relayed by the paravisor); on hardware the module keeps the RTMRs itself.
inline constexpr uint8_t kMsgSimRtmrExtendReq = 0xE2;
inline constexpr uint8_t kMsgSimRtmrExtendRsp = 0xE3;

struct GuestMsgHeader {
  uint8_t authtag[32];  // 0x00: AES-GCM tag in bytes 0..15, rest zero
  uint64_t msg_seqno;   // 0x20
  uint8_t rsvd1[8];     // 0x28
  uint8_t algo;         // 0x30: kAeadAes256Gcm          <- AAD starts here
  uint8_t hdr_version;  // 0x31: kHeaderVersion
  uint16_t hdr_sz;      // 0x32: sizeof(GuestMsgHeader)
  uint8_t msg_type;     // 0x34
  uint8_t msg_version;  // 0x35: kMessageVersion
  uint16_t msg_sz;      // 0x36: payload (ciphertext) bytes after the header
  uint32_t rsvd2;       // 0x38
  uint8_t msg_vmpck;    // 0x3C: which VMPCK encrypted it (0..3)
  uint8_t rsvd3[35];    // 0x3D..0x5F                     <- AAD ends here
};
static_assert(sizeof(GuestMsgHeader) == 0x60);
static_assert(offsetof(GuestMsgHeader, msg_seqno) == 0x20);
static_assert(offsetof(GuestMsgHeader, algo) == 0x30);
static_assert(offsetof(GuestMsgHeader, hdr_sz) == 0x32);
static_assert(offsetof(GuestMsgHeader, msg_type) == 0x34);
static_assert(offsetof(GuestMsgHeader, msg_sz) == 0x36);
static_assert(offsetof(GuestMsgHeader, msg_vmpck) == 0x3C);
inline constexpr size_t kAadOffset = 0x30;
inline constexpr size_t kAadSize = 0x30;
inline constexpr size_t kAuthTagSize = 16;
inline constexpr size_t kIvSize = 12;
// A message occupies one 4 KiB page: the payload is at most a page minus the header.
inline constexpr size_t kMaxPayload = kPageSize - sizeof(GuestMsgHeader);

// MSG_REPORT_REQ payload (96 bytes).
struct ReportRequest {
  uint8_t user_data[64];  // 0x00: becomes REPORT_DATA
  uint32_t vmpl;          // 0x40
  uint32_t key_sel;       // 0x44: bits 1:0 (0 VLEK if present else VCEK, 1 VCEK, 2 VLEK)
  uint8_t rsvd[24];       // 0x48
};
static_assert(sizeof(ReportRequest) == 96);

inline constexpr uint32_t kAttestationReportSize = 1184;  // ATTESTATION_REPORT (0x4A0)

// MSG_REPORT_RSP payload: status, size, then the report.
struct ReportResponseHeader {
  uint32_t status;       // 0 success, 0x16 invalid parameters, 0x27 invalid key selection
  uint32_t report_size;  // kAttestationReportSize
  uint8_t rsvd[24];
};
static_assert(sizeof(ReportResponseHeader) == 0x20);
inline constexpr uint32_t kReportStatusSuccess = 0;
inline constexpr uint32_t kReportStatusInvalidParams = 0x16;
inline constexpr uint32_t kReportStatusInvalidKeySel = 0x27;

// Simulated TDX personality: request payload = 64 bytes REPORTDATA; response payload = u32
// status, u32 size (1024), 24 reserved bytes, then the 1024-byte TDREPORT.
inline constexpr uint32_t kTdReportSize = 1024;

// Simulated TDX personality, RTMR extension: request payload = u64 index (0..3, LE) then the 48
// bytes to extend with (RTMR[index] = SHA-384(RTMR[index] || data)); response payload = u32
// status, u32 size (48), 24 reserved bytes, then the new RTMR value.
inline constexpr uint32_t kRtmrCount = 4;
inline constexpr uint32_t kRtmrSize = 48;
inline constexpr uint32_t kRtmrExtendRequestSize = 8 + kRtmrSize;

}  // namespace pv::attest_proto

#endif  // PV_PROTOCOL_ATTEST_SNP_GUEST_MSG_H_
