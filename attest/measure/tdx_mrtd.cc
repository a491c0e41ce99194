#include "attest/measure/tdx_mrtd.h"

#include <openssl/evp.h>

#include <cstring>

namespace pv::attest::measure {
namespace {
constexpr size_t kRecordSize = 128;
constexpr size_t kChunkSize = 256;
}  // namespace

// EVP context: a copy can be finalised without consuming the running hash.
struct TdxMrtd::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }

  void Record(const char* tag, uint64_t gpa) {
    uint8_t rec[kRecordSize] = {};
    // The ASCII tag without its NUL (at most 12 bytes), zero-padded to 16.
    for (size_t i = 0; tag[i] != '\0' && i < 16; ++i) rec[i] = static_cast<uint8_t>(tag[i]);
    for (int i = 0; i < 8; ++i) rec[16 + i] = static_cast<uint8_t>(gpa >> (8 * i));
    EVP_DigestUpdate(md, rec, sizeof(rec));
  }
};

TdxMrtd::TdxMrtd() : ctx_(std::make_unique<Ctx>()) {
  EVP_DigestInit_ex(ctx_->md, EVP_sha384(), nullptr);
}
TdxMrtd::~TdxMrtd() = default;

void TdxMrtd::PageAdd(uint64_t gpa) {
  ctx_->Record("MEM.PAGE.ADD", gpa);
}

void TdxMrtd::ExtendPage(uint64_t gpa, PageView page) {
  for (size_t off = 0; off < kPageSize; off += kChunkSize) {
    ctx_->Record("MR.EXTEND", gpa + off);
    EVP_DigestUpdate(ctx_->md, page.data() + off, kChunkSize);
  }
}

Sha384 TdxMrtd::Finalize() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  EVP_MD_CTX_copy_ex(copy, ctx_->md);
  Sha384 out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy, out.data(), &len);
  EVP_MD_CTX_free(copy);
  return out;
}

}  // namespace pv::attest::measure
