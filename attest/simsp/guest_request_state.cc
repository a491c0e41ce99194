#include "attest/simsp/guest_request_state.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace pv::attest::simsp {
namespace {

constexpr char kMagic[8] = {'P', 'V', 'S', 'I', 'M', 'S', 'P', '\0'};
constexpr uint32_t kVersion = 2;
constexpr uint32_t kFlagTdx = 1;
constexpr size_t kChecksumOffset = 616;
static_assert(kChecksumOffset + SHA256_DIGEST_LENGTH == kGuestRequestStateSize);

void Put(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t Get(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
template <size_t N>
void PutBytes(uint8_t* p, const std::array<uint8_t, N>& a) {
  std::memcpy(p, a.data(), N);
}
template <size_t N>
void GetBytes(const uint8_t* p, std::array<uint8_t, N>& a) {
  std::memcpy(a.data(), p, N);
}

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("simulated secure-processor state: ", what));
}

}  // namespace

GuestRequestState::~GuestRequestState() {
  for (auto& k : vmpck) OPENSSL_cleanse(k.data(), k.size());
  OPENSSL_cleanse(td_mac_key.data(), td_mac_key.size());
}

std::vector<uint8_t> EncodeGuestRequestState(const GuestRequestState& s) {
  std::vector<uint8_t> out(kGuestRequestStateSize, 0);
  uint8_t* p = out.data();
  std::memcpy(p, kMagic, 8);
  Put(p + 8, kVersion, 4);
  Put(p + 12, s.tdx_personality ? kFlagTdx : 0, 4);
  for (size_t i = 0; i < 4; ++i) {
    PutBytes(p + 16 + 32 * i, s.vmpck[i]);
    p[144 + i] = s.wiped[i] ? 1 : 0;
    Put(p + 152 + 8 * i, s.next_seqno[i], 8);
  }
  PutBytes(p + 184, s.report_id);
  PutBytes(p + 216, s.td_mac_key);
  PutBytes(p + 248, s.measurement);
  PutBytes(p + 296, s.mrtd);
  Put(p + 344, s.policy, 8);
  Put(p + 352, s.td_attributes, 8);
  PutBytes(p + 360, s.host_data);
  PutBytes(p + 392, s.family_id);
  PutBytes(p + 408, s.image_id);
  for (size_t i = 0; i < 4; ++i) PutBytes(p + 424 + 48 * i, s.rtmr[i]);
  SHA256(p, kChecksumOffset, p + kChecksumOffset);
  return out;
}

absl::StatusOr<GuestRequestState> ParseGuestRequestState(std::span<const uint8_t> bytes) {
  if (bytes.size() != kGuestRequestStateSize) {
    return Bad(absl::StrCat(bytes.size(), " bytes, expected ", kGuestRequestStateSize));
  }
  // One copy; everything below reads the copy, which is wiped on the way out.
  std::array<uint8_t, kGuestRequestStateSize> c;
  std::memcpy(c.data(), bytes.data(), c.size());
  struct Wipe {
    std::array<uint8_t, kGuestRequestStateSize>& b;
    ~Wipe() { OPENSSL_cleanse(b.data(), b.size()); }
  } wipe{c};
  const uint8_t* p = c.data();
  if (std::memcmp(p, kMagic, 8) != 0) return Bad("not a state file (magic)");
  if (Get(p + 8, 4) != kVersion)
    return Bad(absl::StrCat("version ", Get(p + 8, 4), ", expected 2"));
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(p, kChecksumOffset, digest);
  if (CRYPTO_memcmp(digest, p + kChecksumOffset, sizeof(digest)) != 0) {
    return Bad("checksum mismatch (truncated or corrupted)");
  }
  const uint64_t flags = Get(p + 12, 4);
  if ((flags & ~uint64_t{kFlagTdx}) != 0) return Bad(absl::StrCat("unknown flags 0x", flags));
  if (Get(p + 148, 4) != 0) return Bad("reserved bytes are not zero");
  GuestRequestState s;
  s.tdx_personality = (flags & kFlagTdx) != 0;
  for (size_t i = 0; i < 4; ++i) {
    GetBytes(p + 16 + 32 * i, s.vmpck[i]);
    if (p[144 + i] > 1) return Bad(absl::StrCat("wiped[", i, "] is ", p[144 + i]));
    s.wiped[i] = p[144 + i] == 1;
    s.next_seqno[i] = Get(p + 152 + 8 * i, 8);
    // Requests carry odd numbers (responses the even one after); the last usable request
    // number leaves room for its response.
    if ((s.next_seqno[i] & 1) == 0 || s.next_seqno[i] == UINT64_MAX) {
      return Bad(absl::StrCat("next sequence number of VMPCK", i, " is ", s.next_seqno[i]));
    }
  }
  GetBytes(p + 184, s.report_id);
  GetBytes(p + 216, s.td_mac_key);
  GetBytes(p + 248, s.measurement);
  GetBytes(p + 296, s.mrtd);
  s.policy = Get(p + 344, 8);
  s.td_attributes = Get(p + 352, 8);
  GetBytes(p + 360, s.host_data);
  GetBytes(p + 392, s.family_id);
  GetBytes(p + 408, s.image_id);
  for (size_t i = 0; i < 4; ++i) GetBytes(p + 424 + 48 * i, s.rtmr[i]);
  return s;
}

}  // namespace pv::attest::simsp
