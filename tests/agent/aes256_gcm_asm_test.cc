// The test guests' AES-256-GCM in assembly (guests/aes256_gcm.inc: AES-NI, PCLMULQDQ), checked
// on the host against the GCM specification's AES-256 test cases and against OpenSSL for random
// keys, IVs, AAD and message lengths (every partial-block length), sealing and opening.
#include <cpuid.h>
#include <openssl/evp.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

struct GcmArgs {  // the layout aes256_gcm.inc reads (GCM_KEY .. GCM_TAG)
  const uint8_t* key;
  const uint8_t* iv;
  const uint8_t* aad;
  uint64_t aad_len;
  const uint8_t* in;
  uint8_t* out;
  uint64_t len;
  uint8_t* tag;
};
static_assert(sizeof(GcmArgs) == 64);

extern "C" void gcm_crypt(GcmArgs* args, int open);

std::vector<uint8_t> Hex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(std::stoi(s.substr(i, 2), nullptr, 16));
  return out;
}

bool CpuHasAesPclmulSsse3() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  return (c & bit_AES) != 0 && (c & bit_PCLMUL) != 0 && (c & bit_SSSE3) != 0;
}

struct Sealed {
  std::vector<uint8_t> ct;
  std::vector<uint8_t> tag;
};

Sealed AsmSeal(const std::vector<uint8_t>& key, const std::vector<uint8_t>& iv,
               const std::vector<uint8_t>& aad, const std::vector<uint8_t>& pt) {
  Sealed s{std::vector<uint8_t>(pt.size()), std::vector<uint8_t>(16)};
  GcmArgs a{key.data(), iv.data(),   aad.data(), aad.size(),
            pt.data(),  s.ct.data(), pt.size(),  s.tag.data()};
  gcm_crypt(&a, 0);
  return s;
}

Sealed OpensslSeal(const std::vector<uint8_t>& key, const std::vector<uint8_t>& iv,
                   const std::vector<uint8_t>& aad, const std::vector<uint8_t>& pt) {
  Sealed s{std::vector<uint8_t>(pt.size()), std::vector<uint8_t>(16)};
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int n = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), nullptr, key.data(), iv.data()), 1);
  EXPECT_EQ(EVP_EncryptUpdate(c, nullptr, &n, aad.data(), static_cast<int>(aad.size())), 1);
  EXPECT_EQ(EVP_EncryptUpdate(c, s.ct.data(), &n, pt.data(), static_cast<int>(pt.size())), 1);
  EXPECT_EQ(EVP_EncryptFinal_ex(c, s.ct.data() + n, &n), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, s.tag.data()), 1);
  EVP_CIPHER_CTX_free(c);
  return s;
}

class AsmGcmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The guests need these instructions too (the agent's QEMU model enables them); a host
    // without them cannot run this check, which is then a failure, not a skip.
    ASSERT_TRUE(CpuHasAesPclmulSsse3()) << "host CPU lacks AES-NI, PCLMULQDQ or SSSE3";
  }
};

// The GCM specification's (McGrew & Viega) AES-256 test cases 13, 14 and 16.
TEST_F(AsmGcmTest, SpecificationTestCases) {
  const std::vector<uint8_t> zero_key(32), zero_iv(12), none;
  Sealed t13 = AsmSeal(zero_key, zero_iv, none, none);
  EXPECT_EQ(t13.tag, Hex("530f8afbc74536b9a963b4f1c4cb738b"));
  Sealed t14 = AsmSeal(zero_key, zero_iv, none, std::vector<uint8_t>(16));
  EXPECT_EQ(t14.ct, Hex("cea7403d4d606b6e074ec5d3baf39d18"));
  EXPECT_EQ(t14.tag, Hex("d0d1c8a799996bf0265b98b5d48ab919"));
  const auto key = Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const auto iv = Hex("cafebabefacedbaddecaf888");
  const auto pt =
      Hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
          "49a6b525b16aedf5aa0de657ba637b39");
  const auto aad = Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  Sealed t16 = AsmSeal(key, iv, aad, pt);
  EXPECT_EQ(t16.ct, Hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48"
                        "590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"));
  EXPECT_EQ(t16.tag, Hex("76fc6ece0f4e1768cddf8853bb2d551b"));
}

// Random inputs of every length 0..300 (and AAD 0..80, the SNP header's 48 among them): the same
// ciphertext and tag as OpenSSL; opening (in place) gives the plaintext and the same tag back.
TEST_F(AsmGcmTest, MatchesOpensslAndOpensWhatItSealed) {
  std::mt19937 rng(11);
  auto bytes = [&](size_t n) {
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = static_cast<uint8_t>(rng());
    return v;
  };
  for (size_t len = 0; len <= 300; ++len) {
    const auto key = bytes(32), iv = bytes(12), aad = bytes(len % 81), pt = bytes(len);
    const Sealed mine = AsmSeal(key, iv, aad, pt);
    const Sealed ref = OpensslSeal(key, iv, aad, pt);
    ASSERT_EQ(mine.ct, ref.ct) << "length " << len;
    ASSERT_EQ(mine.tag, ref.tag) << "length " << len;
    std::vector<uint8_t> buf = mine.ct, tag(16);
    GcmArgs a{key.data(), iv.data(),  aad.data(), aad.size(),
              buf.data(), buf.data(), buf.size(), tag.data()};
    gcm_crypt(&a, 1);
    ASSERT_EQ(buf, pt) << "length " << len;
    ASSERT_EQ(tag, ref.tag) << "length " << len;
  }
}

// A flipped ciphertext bit changes the tag the opener computes (what the guest's check and the
// secure processor's rely on).
TEST_F(AsmGcmTest, AlteredCiphertextChangesTheTag) {
  const std::vector<uint8_t> key(32, 7), iv(12, 9), aad(48, 1), pt(96, 2);
  const Sealed s = AsmSeal(key, iv, aad, pt);
  std::vector<uint8_t> ct = s.ct, out(ct.size()), tag(16);
  ct[7] ^= 0x10;
  GcmArgs a{key.data(), iv.data(),  aad.data(), aad.size(),
            ct.data(),  out.data(), ct.size(),  tag.data()};
  gcm_crypt(&a, 1);
  EXPECT_NE(tag, s.tag);
}

}  // namespace
