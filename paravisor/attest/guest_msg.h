// The SEV-SNP guest-message channel (the paravisor's side of the AMD-SP's guest request
// protocol), byte-exact to the firmware ABI (protocol/attest/snp_guest_msg.h):
//
//   request:  header{seqno = last + 1, algo AES-256-GCM, hdr v1, type, msg v1, size, vmpck}
//             + AES-256-GCM(VMPCK, IV = seqno LE || 0^4, AAD = header[0x30..0x5F]) of the payload
//   response: must carry seqno = last + 2, type = request type + 1, the same VMPCK and header
//             versions, a size that fits, zero reserved bytes, and a tag that verifies.
//   after a good exchange: last += 2.
//
// Any failure (seal error, transport failure after the request may have left, any check of the
// response) wipes the key and the channel refuses every later request: a sequence number, which
// is the IV, must never be used twice with the same key, and a host that tampers with messages
// gets nothing more. Portable: the host unit tests run this exact code.
#ifndef PV_ATTEST_GUEST_MSG_H_
#define PV_ATTEST_GUEST_MSG_H_

#include "../../protocol/attest/snp_guest_msg.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::attest {

class GuestMessageChannel {
 public:
  // Takes a copy of the key (the caller wipes its own). `last_seqno` is the counter before the
  // first exchange (0 at launch).
  Status Init(const u8 key[32], u8 vmpck_index, u64 last_seqno = 0);
  bool usable() const { return usable_; }
  u64 last_seqno() const { return last_seqno_; }

  // Builds the request for `msg_type` with `payload` into `out` (at least header + payload,
  // at most one page); returns its length.
  Result<usize> SealRequest(u8 msg_type, const u8* payload, usize payload_len, u8* out,
                            usize out_cap);

  // Checks and decrypts the response to the request SealRequest built last (a private copy of
  // `len` bytes); the payload goes to `payload_out` and its length is returned. Wipes the key on
  // any failure.
  Result<usize> OpenResponse(const u8* message, usize len, u8* payload_out, usize payload_cap);

  // Wipes the key (the transport failed, or the caller found the payload unacceptable).
  void Fail();

 private:
  Status Refuse(Status why);

  u8 key_[32] = {};
  u8 vmpck_index_ = 0;
  u64 last_seqno_ = 0;
  u8 pending_type_ = 0;  // request type awaiting its response, 0 = none
  bool usable_ = false;
};

}  // namespace pv::attest

#endif  // PV_ATTEST_GUEST_MSG_H_
