#include "openssl_snp_envelope.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace pv::testing_attest {
namespace {

constexpr size_t kHeader = 0x60;

void Put(std::vector<uint8_t>& b, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t Get(std::span<const uint8_t> b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(b[at + i]) << (8 * i);
  return v;
}
std::array<uint8_t, 12> Iv(uint64_t seqno) {
  std::array<uint8_t, 12> iv{};
  for (int i = 0; i < 8; ++i) iv[i] = static_cast<uint8_t>(seqno >> (8 * i));
  return iv;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

std::vector<uint8_t> SealMessage(const Key& key, uint64_t seqno, uint8_t type, uint8_t vmpck,
                                 std::span<const uint8_t> payload) {
  std::vector<uint8_t> m(kHeader + payload.size(), 0);
  Put(m, 0x20, seqno, 8);
  m[0x30] = 1;
  m[0x31] = 1;
  Put(m, 0x32, kHeader, 2);
  m[0x34] = type;
  m[0x35] = 1;
  Put(m, 0x36, payload.size(), 2);
  m[0x3c] = vmpck;
  const auto iv = Iv(seqno);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int n = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv.data());
  EVP_EncryptUpdate(ctx.get(), nullptr, &n, m.data() + 0x30, 0x30);
  if (!payload.empty()) {
    EVP_EncryptUpdate(ctx.get(), m.data() + kHeader, &n, payload.data(),
                      static_cast<int>(payload.size()));
  }
  EVP_EncryptFinal_ex(ctx.get(), m.data() + kHeader + payload.size(), &n);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, m.data());
  return m;
}

absl::StatusOr<OpenedMessage> OpenMessage(const Key& key, std::span<const uint8_t> m) {
  if (m.size() < kHeader) return absl::InvalidArgumentError("message shorter than its header");
  if (m[0x30] != 1 || m[0x31] != 1 || Get(m, 0x32, 2) != kHeader || m[0x35] != 1) {
    return absl::InvalidArgumentError("header algo/version/size fields are wrong");
  }
  const size_t size = Get(m, 0x36, 2);
  if (size > m.size() - kHeader) {
    return absl::InvalidArgumentError(absl::StrCat("msg_sz ", size, " runs past the message"));
  }
  OpenedMessage out;
  out.seqno = Get(m, 0x20, 8);
  out.type = m[0x34];
  out.vmpck = m[0x3c];
  out.payload.resize(size);
  const auto iv = Iv(out.seqno);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int n = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv.data());
  EVP_DecryptUpdate(ctx.get(), nullptr, &n, m.data() + 0x30, 0x30);
  if (size > 0) {
    EVP_DecryptUpdate(ctx.get(), out.payload.data(), &n, m.data() + kHeader,
                      static_cast<int>(size));
  }
  uint8_t tag[16];
  std::memcpy(tag, m.data(), 16);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag);
  if (EVP_DecryptFinal_ex(ctx.get(), out.payload.data() + size, &n) != 1) {
    return absl::PermissionDeniedError("tag does not verify");
  }
  return out;
}

}  // namespace pv::testing_attest
