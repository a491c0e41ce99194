// The paravisor's KBS-client parsers and crypto (paravisor/kbs), built for the host from the
// firmware's sources with the Debian mbedTLS the firmware links, checked against independent
// implementations: JWEs made by the key broker's own encryptor (kbs/jwe.h, OpenSSL EVP) for the
// paravisor's tee key, RFC 3394's key-unwrap vector, and strict base64/JSON refusals.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kbs/base64.h"
#include "kbs/json.h"
#include "kbs/jwe.h"
#include "kbs/tee_key.h"
// The key broker's side (kbs/, not the firmware's paravisor/kbs/): same relative names.
#include "../../kbs/jwe.h"
#include "../../kbs/jwk.h"

namespace pv::kbs_client {
namespace {

int TestRng(void*, unsigned char* out, size_t len) {
  static std::random_device rd;
  for (size_t i = 0; i < len; ++i) out[i] = static_cast<unsigned char>(rd());
  return 0;
}

std::string B64Url(const uint8_t* p, size_t n) {
  std::string out(Base64Length(n, B64::kUrl), '\0');
  Result<usize> r = Base64Encode(B64::kUrl, p, n, out.data(), out.size());
  EXPECT_TRUE(r.ok());
  out.resize(r.value());
  return out;
}

TEST(KbsClientBase64, RoundTripsAndStrictness) {
  for (size_t n = 0; n < 70; ++n) {
    std::vector<uint8_t> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 37 + 5);
    for (B64 v : {B64::kStandard, B64::kUrl}) {
      std::string text(Base64Length(n, v), '\0');
      ASSERT_TRUE(Base64Encode(v, data.data(), n, text.data(), text.size()).ok());
      std::vector<uint8_t> back(n + 1);
      Result<usize> got = Base64Decode(v, text.data(), text.size(), back.data(), back.size());
      ASSERT_TRUE(got.ok()) << text;
      back.resize(got.value());
      EXPECT_EQ(back, data);
    }
  }
  uint8_t out[16];
  for (const char* bad : {"QQ", "QQ=", "Q===", "QR==", "QQ==QQ==", "Q Q=", "-_8=", "QQ\n="}) {
    EXPECT_FALSE(Base64Decode(B64::kStandard, bad, strlen(bad), out, sizeof(out)).ok()) << bad;
  }
  for (const char* bad : {"QQ==", "Q", "QR", "+/8", "QQ Q"}) {
    EXPECT_FALSE(Base64Decode(B64::kUrl, bad, strlen(bad), out, sizeof(out)).ok()) << bad;
  }
  // Output too small is refused before anything is written.
  EXPECT_FALSE(Base64Decode(B64::kUrl, "AAAAAAAA", 8, out, 5).ok());
}

TEST(KbsClientJson, ChecksAndLooksUp) {
  const std::string doc =
      R"( {"a":"x\"y\u00e9\ud83d\ude00","b":{"c":[1,2.5e3,true,null]},"d":-0.5} )";
  ASSERT_TRUE(JsonCheck(doc.data(), doc.size()).ok());
  JsonSpan root{doc.data(), doc.size()};
  char buf[64];
  Result<usize> a = JsonMemberString(root, "a", buf, sizeof(buf));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::string(buf, a.value()), "x\"y\xc3\xa9\xf0\x9f\x98\x80");
  Result<JsonSpan> b = JsonMember(root, "b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(JsonTypeOf(b.value()), JsonType::kObject);
  EXPECT_EQ(JsonMember(root, "zz").status().code(), Err::kNotFound);
  EXPECT_EQ(JsonMemberCount(root).value(), 3u);
  for (const char* bad :
       {"", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":01}", "\"\x01\"", "{\"a\":\"\\x\"}",
        "{} {}", "{\"a\":tru}", "[[[[[[[[[1]]]]]]]]]", "{'a':1}"}) {
    EXPECT_FALSE(JsonCheck(bad, strlen(bad)).ok()) << bad;
  }
  const std::string dup = R"({"a":1,"a":2})";
  EXPECT_FALSE(JsonMember(JsonSpan{dup.data(), dup.size()}, "a").ok());
  const std::string lone = R"("\ud800")";
  EXPECT_FALSE(JsonString(JsonSpan{lone.data(), lone.size()}, buf, sizeof(buf)).ok());
  char small[3];
  EXPECT_FALSE(JsonMemberString(root, "a", small, sizeof(small)).ok());
}

TEST(KbsClientJson, WriterEscapesAsJcs) {
  char buf[64];
  JsonWriter w(buf, sizeof(buf));
  w.Raw("{");
  w.Key("k");
  w.String("a\"b\\c\n\x01/");
  w.Raw("}");
  ASSERT_FALSE(w.overflow());
  EXPECT_EQ(std::string(buf, w.size()), "{\"k\":\"a\\\"b\\\\c\\n\\u0001/\"}");
  JsonWriter tiny(buf, 4);
  tiny.String("too long");
  EXPECT_TRUE(tiny.overflow());
}

TEST(KbsClientJwe, AesKeyUnwrapRfc3394Vector) {
  // RFC 3394 4.6: 256 bits of key data with a 256-bit KEK.
  uint8_t kek[32];
  for (int i = 0; i < 32; ++i) kek[i] = static_cast<uint8_t>(i);
  const uint8_t wrapped[40] = {0x28, 0xC9, 0xF4, 0x04, 0xC4, 0xB8, 0x10, 0xF4, 0xCB, 0xCC,
                               0xB3, 0x5C, 0xFB, 0x87, 0xF8, 0x26, 0x3F, 0x57, 0x86, 0xE2,
                               0xD8, 0x0E, 0xD3, 0x26, 0xCB, 0xC7, 0xF0, 0xE7, 0x1A, 0x99,
                               0xF4, 0x3B, 0xFB, 0x98, 0x8B, 0x9B, 0x7A, 0x02, 0xDD, 0x21};
  const uint8_t want[32] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA,
                            0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                            0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
  uint8_t out[32];
  ASSERT_TRUE(AesKeyUnwrap(kek, wrapped, sizeof(wrapped), out).ok());
  EXPECT_EQ(0, memcmp(out, want, 32));
  uint8_t bad[40];
  memcpy(bad, wrapped, 40);
  bad[39] ^= 1;
  EXPECT_FALSE(AesKeyUnwrap(kek, bad, sizeof(bad), out).ok());
}

// A JWE made by the key broker (OpenSSL) for the paravisor's tee key opens in the firmware
// code, and one flipped bit anywhere in it is refused.
class KbsClientJweInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(key_.Generate(TestRng, nullptr).ok());
    uint8_t x[32], y[32];
    ASSERT_TRUE(key_.PublicCoordinates(x, y).ok());
    nlohmann::json jwk = {{"kty", "EC"},
                          {"crv", "P-256"},
                          {"alg", "ECDH-ES+A256KW"},
                          {"x", B64Url(x, 32)},
                          {"y", B64Url(y, 32)}};
    auto parsed = pv::kbs::ParseTeePublicKey(jwk);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    recipient_ = std::move(*parsed);
  }
  void TearDown() override { key_.Wipe(); }

  std::string Encrypt(const std::vector<uint8_t>& plaintext) {
    auto jwe = pv::kbs::EncryptJwe(recipient_, plaintext);
    EXPECT_TRUE(jwe.ok());
    return jwe->dump();
  }

  Result<usize> Open(const std::string& jwe, uint8_t* out, size_t cap) {
    return OpenJwe(jwe.data(), jwe.size(), key_, TestRng, nullptr, out, cap);
  }

  TeeKey key_;
  pv::kbs::TeePublicKey recipient_;
};

TEST_F(KbsClientJweInterop, OpensTheBrokersJwe) {
  for (size_t n : {0u, 1u, 32u, 100u, 4096u}) {
    std::vector<uint8_t> secret(n);
    for (size_t i = 0; i < n; ++i) secret[i] = static_cast<uint8_t>(i ^ 0x5a);
    const std::string jwe = Encrypt(secret);
    std::vector<uint8_t> out(kMaxSecret);
    Result<usize> got = Open(jwe, out.data(), out.size());
    ASSERT_TRUE(got.ok()) << got.status().message() << " n=" << n;
    out.resize(got.value());
    EXPECT_EQ(out, secret);
  }
}

TEST_F(KbsClientJweInterop, RefusesEveryFlippedBitAndBadShapes) {
  const std::vector<uint8_t> secret(48, 0x42);
  const std::string jwe = Encrypt(secret);
  std::vector<uint8_t> out(kMaxSecret);
  // One flipped bit in each base64url member's value (letters: case flip keeps the alphabet).
  nlohmann::json j = nlohmann::json::parse(jwe);
  for (const char* member : {"protected", "encrypted_key", "iv", "ciphertext", "tag"}) {
    std::string v = j[member];
    for (size_t i = 0; i < v.size(); i += 7) {
      if (!isalpha(static_cast<unsigned char>(v[i]))) continue;
      nlohmann::json t = j;
      std::string w = v;
      w[i] ^= 0x20;
      t[member] = w;
      EXPECT_FALSE(Open(t.dump(), out.data(), out.size()).ok()) << member << " at " << i;
    }
  }
  nlohmann::json extra = j;
  extra["aad"] = "AAAA";
  EXPECT_FALSE(Open(extra.dump(), out.data(), out.size()).ok());
  nlohmann::json missing = j;
  missing.erase("tag");
  EXPECT_FALSE(Open(missing.dump(), out.data(), out.size()).ok());
  EXPECT_FALSE(Open(jwe, out.data(), 10).ok());  // larger than the buffer
  // Another key cannot open it.
  TeeKey other;
  ASSERT_TRUE(other.Generate(TestRng, nullptr).ok());
  EXPECT_FALSE(
      OpenJwe(jwe.data(), jwe.size(), other, TestRng, nullptr, out.data(), out.size()).ok());
  other.Wipe();
}

}  // namespace
}  // namespace pv::kbs_client
