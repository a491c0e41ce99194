#include "attest/guest_msg.h"

#include "crypto/aes_gcm.h"
#include "lib/string.h"

namespace pv::attest {
namespace {

using attest_proto::GuestMsgHeader;
constexpr usize kHeaderSize = sizeof(GuestMsgHeader);

void MakeIv(u64 seqno, u8 iv[crypto::kGcmIvSize]) {
  memset(iv, 0, crypto::kGcmIvSize);
  for (int i = 0; i < 8; ++i) iv[i] = static_cast<u8>(seqno >> (8 * i));
}

bool AllZero(const u8* p, usize n) {
  u8 any = 0;
  for (usize i = 0; i < n; ++i) any |= p[i];
  return any == 0;
}

}  // namespace

Status GuestMessageChannel::Init(const u8 key[32], u8 vmpck_index, u64 last_seqno) {
  crypto::SecureZero(key_, sizeof(key_));
  usable_ = false;
  if (vmpck_index >= 4) return Status(Err::kInvalidArgument, "guest message: VMPCK index above 3");
  // The seqno field is 64 bits but AMD firmware keeps a 32-bit counter: stay far from a wrap.
  if (last_seqno > 0xffffffffull - 2) {
    return Status(Err::kOutOfRange, "guest message: sequence number exhausted");
  }
  memcpy(key_, key, sizeof(key_));
  vmpck_index_ = vmpck_index;
  last_seqno_ = last_seqno;
  pending_type_ = 0;
  usable_ = true;
  return Status::Ok();
}

void GuestMessageChannel::Fail() {
  crypto::SecureZero(key_, sizeof(key_));
  usable_ = false;
  pending_type_ = 0;
}

Status GuestMessageChannel::Refuse(Status why) {
  Fail();
  return why;
}

Result<usize> GuestMessageChannel::SealRequest(u8 msg_type, const u8* payload, usize payload_len,
                                               u8* out, usize out_cap) {
  if (!usable_) {
    return Status(Err::kUnsupported, "guest message: VMPCK wiped after an earlier failure");
  }
  if (payload_len > attest_proto::kMaxPayload || out_cap < kHeaderSize + payload_len) {
    return Refuse(Status(Err::kOutOfRange, "guest message: request payload does not fit a page"));
  }
  if (last_seqno_ > 0xffffffffull - 2) {
    return Refuse(Status(Err::kOutOfRange, "guest message: sequence number exhausted"));
  }
  GuestMsgHeader h;
  memset(&h, 0, sizeof(h));
  h.msg_seqno = last_seqno_ + 1;
  h.algo = attest_proto::kAeadAes256Gcm;
  h.hdr_version = attest_proto::kHeaderVersion;
  h.hdr_sz = kHeaderSize;
  h.msg_type = msg_type;
  h.msg_version = attest_proto::kMessageVersion;
  h.msg_sz = static_cast<u16>(payload_len);
  h.msg_vmpck = vmpck_index_;
  u8 iv[crypto::kGcmIvSize];
  MakeIv(h.msg_seqno, iv);
  const u8* hb = reinterpret_cast<const u8*>(&h);
  const Status sealed =
      crypto::Aes256GcmSeal(key_, iv, hb + attest_proto::kAadOffset, attest_proto::kAadSize,
                            payload, payload_len, out + kHeaderSize, h.authtag);
  if (!sealed.ok()) return Refuse(sealed);
  memcpy(out, &h, kHeaderSize);
  pending_type_ = msg_type;
  return kHeaderSize + payload_len;
}

Result<usize> GuestMessageChannel::OpenResponse(const u8* message, usize len, u8* payload_out,
                                                usize payload_cap) {
  if (!usable_) {
    return Status(Err::kUnsupported, "guest message: VMPCK wiped after an earlier failure");
  }
  if (pending_type_ == 0) {
    return Refuse(Status(Err::kInvalidArgument, "guest message: response without a request"));
  }
  if (len < kHeaderSize || len > attest_proto::kPageSize) {
    return Refuse(Status(Err::kOutOfRange, "guest message: response size outside 96..4096"));
  }
  GuestMsgHeader h;
  memcpy(&h, message, kHeaderSize);
  if (h.algo != attest_proto::kAeadAes256Gcm || h.hdr_version != attest_proto::kHeaderVersion ||
      h.hdr_sz != kHeaderSize || h.msg_version != attest_proto::kMessageVersion) {
    return Refuse(Status(Err::kInvalidArgument,
                         "guest message: response header algo/version/size fields are wrong"));
  }
  if (h.msg_type != pending_type_ + 1) {
    return Refuse(Status(Err::kInvalidArgument, "guest message: response type does not match"));
  }
  if (h.msg_vmpck != vmpck_index_) {
    return Refuse(Status(Err::kInvalidArgument, "guest message: response names another VMPCK"));
  }
  if (h.msg_seqno != last_seqno_ + 2) {
    return Refuse(
        Status(Err::kInvalidArgument, "guest message: response sequence number is not last + 2"));
  }
  if (h.msg_sz > len - kHeaderSize || h.msg_sz > payload_cap) {
    return Refuse(Status(Err::kOutOfRange, "guest message: response payload size does not fit"));
  }
  // Not covered by the tag: authtag[16..31] and rsvd1 must be zero (the ABI's MBZ fields).
  if (!AllZero(h.authtag + attest_proto::kAuthTagSize, 32 - attest_proto::kAuthTagSize) ||
      !AllZero(h.rsvd1, sizeof(h.rsvd1))) {
    return Refuse(Status(Err::kInvalidArgument, "guest message: reserved header bytes not zero"));
  }
  u8 iv[crypto::kGcmIvSize];
  MakeIv(h.msg_seqno, iv);
  const Status opened =
      crypto::Aes256GcmOpen(key_, iv, message + attest_proto::kAadOffset, attest_proto::kAadSize,
                            message + kHeaderSize, h.msg_sz, h.authtag, payload_out);
  if (!opened.ok()) {
    return Refuse(Status(Err::kInvalidArgument, "guest message: response tag does not verify"));
  }
  last_seqno_ += 2;
  pending_type_ = 0;
  return static_cast<usize>(h.msg_sz);
}

}  // namespace pv::attest
