// Unit tests of the KBS's parts: JCS and the runtime-data binding (trustee's published vector),
// base64, JWK parsing, JWE round trips through an independent decryptor, sessions, the store,
// the policy document and the protocol parsers.
#include <dirent.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attest/common/bytes.h"
#include "kbs/base64.h"
#include "kbs/byte_arrays.h"
#include "kbs/evidence.h"
#include "kbs/http_api.h"
#include "kbs/jcs.h"
#include "kbs/jwe.h"
#include "kbs/jwk.h"
#include "kbs/jwt.h"
#include "kbs/kbs_policy.h"
#include "kbs/protocol.h"
#include "kbs/runtime_data.h"
#include "kbs/session_table.h"
#include "kbs/store.h"
#include "kbs/token_signer.h"
#include "tests/kbs/byte_array_reference.h"
#include "tests/kbs/kbs_test_support.h"

namespace pv::kbs {
namespace {

using Json = nlohmann::json;

std::string Canon(const std::string& text) {
  auto c = CanonicalJson(Json::parse(text));
  return c.ok() ? *c : "<error: " + std::string(c.status().message()) + ">";
}

TEST(Jcs, TrusteePublishedVector) {
  // attestation-service's test: {"b":1,"a":"test","c":{"d":"e"}} -> SHA-384 e71ce8e7...
  const Json rd = Json::parse(R"({"b":1,"a":"test","c":{"d":"e"}})");
  EXPECT_EQ(*CanonicalJson(rd), R"({"a":"test","b":1,"c":{"d":"e"}})");
  auto binding = RuntimeDataBinding(rd);
  ASSERT_TRUE(binding.ok());
  EXPECT_EQ(attest::HexEncode(*binding),
            "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c"
            "4597480a186427c813ca941da78870c3"
            "00000000000000000000000000000000");
}

TEST(Jcs, NumbersInEcmaScriptForm) {
  EXPECT_EQ(Canon("[1e21, 1e20, 0.000001, 1e-7, 4.50, -0, 2.0, 333333333.33333329, 1E30]"),
            "[1e+21,100000000000000000000,0.000001,1e-7,4.5,0,2,333333333.3333333,1e+30]");
  EXPECT_EQ(Canon("[9007199254740992]"), "[9007199254740992]");
  EXPECT_FALSE(CanonicalJson(Json::parse("[9007199254740993]")).ok());
}

TEST(Jcs, StringsAndKeyOrder) {
  EXPECT_EQ(Canon(R"(["\u0007\n\"\\/\u00e9"])"), "[\"\\u0007\\n\\\"\\\\/\xc3\xa9\"]");
  // UTF-16 order: U+1F600 (D83D DE00) sorts before U+FB33, unlike UTF-8 byte order.
  EXPECT_EQ(Canon(R"({"\ufb33":1,"\ud83d\ude00":2,"a":3})"),
            "{\"a\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":1}");
  EXPECT_EQ(Canon(R"({ "z" : [ true , null ] , "y" : {} })"), R"({"y":{},"z":[true,null]})");
}

TEST(Base64, StrictDecoding) {
  const attest::Bytes b = {0xfb, 0xff, 0x00};
  EXPECT_EQ(Base64Encode(b), "+/8A");
  EXPECT_EQ(Base64UrlEncode(b), "-_8A");
  EXPECT_EQ(*Base64UrlDecode("-_8A"), b);
  EXPECT_FALSE(Base64UrlDecode("+/8A").ok());
  EXPECT_FALSE(Base64Decode("-_8A").ok());
  EXPECT_FALSE(Base64Decode("QQ=").ok());   // bad padding length
  EXPECT_FALSE(Base64Decode("QR==").ok());  // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("Q").ok());
  EXPECT_EQ(Base64Decode("QQ==")->size(), 1u);
}

TEST(Jwk, AcceptsTheSupportedKeys) {
  for (const char* kind : {"P-256", "P-384", "P-521", "RSA"}) {
    auto k = testing::MakeAttesterKey(kind);
    auto parsed = ParseTeePublicKey(k.public_jwk);
    ASSERT_TRUE(parsed.ok()) << kind << ": " << parsed.status();
    EXPECT_EQ(parsed->wrap == KeyWrap::kRsaOaep256, std::string(kind) == "RSA");
  }
}

TEST(Jwk, RefusesBadKeys) {
  auto k = testing::MakeAttesterKey("P-256");
  EXPECT_FALSE(ParseTeePublicKey(k.private_jwk).ok()) << "private member d must be refused";
  Json off_curve = k.public_jwk;
  std::string y = off_curve["y"];
  y[5] = y[5] == 'A' ? 'B' : 'A';
  off_curve["y"] = y;
  EXPECT_FALSE(ParseTeePublicKey(off_curve).ok());
  Json wrong_size = k.public_jwk;
  wrong_size["crv"] = "P-384";
  EXPECT_FALSE(ParseTeePublicKey(wrong_size).ok());
  Json rsa15 = testing::MakeAttesterKey("RSA").public_jwk;
  rsa15["alg"] = "RSA1_5";
  EXPECT_FALSE(ParseTeePublicKey(rsa15).ok());
  EXPECT_FALSE(ParseTeePublicKey(Json{{"kty", "oct"}, {"k", "AAAA"}}).ok());
  EXPECT_FALSE(ParseTeePublicKey(Json::array()).ok());
  attest::EvpPkeyPtr small(EVP_RSA_gen(1024));
  BIGNUM* n = nullptr;
  EVP_PKEY_get_bn_param(small.get(), "n", &n);
  attest::Bytes nb(static_cast<size_t>(BN_num_bytes(n)));
  BN_bn2bin(n, nb.data());
  BN_free(n);
  EXPECT_FALSE(
      ParseTeePublicKey(Json{{"kty", "RSA"}, {"n", Base64UrlEncode(nb)}, {"e", "AQAB"}}).ok());
}

TEST(Jwe, RoundTripsThroughAnIndependentDecryptor) {
  const std::string secret = "the partition's disk key \x01\x02";
  const attest::Bytes pt(secret.begin(), secret.end());
  for (const char* kind : {"P-256", "P-384", "P-521", "RSA"}) {
    auto k = testing::MakeAttesterKey(kind);
    auto pub = ParseTeePublicKey(k.public_jwk);
    ASSERT_TRUE(pub.ok());
    auto jwe = EncryptJwe(*pub, pt);
    ASSERT_TRUE(jwe.ok()) << jwe.status();
    auto out = testing::DecryptJwe(*jwe, k.key.get());
    ASSERT_TRUE(out.ok()) << kind << ": " << out.status();
    EXPECT_EQ(*out, pt);
    // Any change to the ciphertext, tag or protected header is detected.
    for (const char* member : {"ciphertext", "tag", "protected"}) {
      Json bad = *jwe;
      std::string v = bad[member];
      v[2] = v[2] == 'A' ? 'B' : 'A';
      bad[member] = v;
      EXPECT_FALSE(testing::DecryptJwe(bad, k.key.get()).ok()) << kind << " " << member;
    }
    // A different key cannot open it.
    auto other = testing::MakeAttesterKey(kind);
    EXPECT_FALSE(testing::DecryptJwe(*jwe, other.key.get()).ok());
  }
}

TEST(SessionTable, NonceIsSingleUseAndExpires) {
  SessionTable t({/*max_sessions=*/2, /*challenge_ttl=*/10, /*session_ttl=*/20});
  auto a = t.Create(TeeKind::kSnp, 100);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->session_id.size(), 32u);
  auto n = t.TakeNonce(a->session_id, 101);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->first, a->nonce);
  EXPECT_EQ(t.TakeNonce(a->session_id, 102).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(t.GetAttested(a->session_id, 102).ok()) << "attempted is not attested";
  t.MarkAttested(a->session_id, AttestedSession{TeeKind::kSnp, "m", nullptr}, 103);
  EXPECT_TRUE(t.GetAttested(a->session_id, 122).ok());
  EXPECT_FALSE(t.GetAttested(a->session_id, 123).ok()) << "session_ttl after attestation";
  auto b = t.Create(TeeKind::kTdx, 200);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(t.TakeNonce(b->session_id, 210).status().message().substr(0, 11), "the session");
  EXPECT_FALSE(t.TakeNonce("00000000000000000000000000000000", 200).ok());
}

TEST(SessionTable, BoundedAndSweptNotEvicted) {
  SessionTable t({2, 10, 20});
  ASSERT_TRUE(t.Create(TeeKind::kSnp, 0).ok());
  ASSERT_TRUE(t.Create(TeeKind::kSnp, 0).ok());
  auto full = t.Create(TeeKind::kSnp, 5);
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(t.Create(TeeKind::kSnp, 10).ok()) << "expired sessions are swept when full";
  EXPECT_EQ(t.size(), 1u);
}

TEST(Store, PathsAtomicWritesAndListing) {
  char tmpl[] = "/tmp/kbs-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  auto store = Store::Open(std::string(tmpl) + "/s");
  ASSERT_TRUE(store.ok());
  for (const char* bad :
       {"../x/y", "a/b", "a/b/c/d", "a/./c", "a/b/.hidden", "a/b/", "a//c", "a/b/c\n"}) {
    EXPECT_FALSE(ParseResourcePath(bad).ok()) << bad;
  }
  auto p = ParseResourcePath("default/key/demo");
  ASSERT_TRUE(p.ok());
  const attest::Bytes v1 = {1, 2, 3}, v2 = {4};
  ASSERT_TRUE(store->PutResource(*p, v1).ok());
  ASSERT_TRUE(store->PutResource(*p, v2).ok());
  EXPECT_EQ(*store->GetResource(*p), v2);
  EXPECT_EQ(*store->ListResources(), std::vector<std::string>{"default/key/demo"});
  // No temporary files left behind.
  DIR* d = opendir((std::string(tmpl) + "/s/resources/default/key").c_str());
  int entries = 0;
  while (dirent* e = readdir(d)) entries += e->d_name[0] != '.';
  closedir(d);
  EXPECT_EQ(entries, 1);
  ASSERT_TRUE(store->DeleteResource(*p).ok());
  EXPECT_EQ(store->GetResource(*p).status().code(), absl::StatusCode::kNotFound);
  std::system((std::string("rm -rf ") + tmpl).c_str());
}

TEST(KbsPolicy, ParsesAndGrants) {
  const std::string m(96, 'a');
  auto p = ParseKbsPolicy(R"({"attestation":{"snp":{"allow_debug":false}},
      "resources":[{"path":"default/key/*","tees":["snp"]},
                   {"path":"other/cert/x","measurements":[")" +
                          m + R"("]}]})");
  ASSERT_TRUE(p.ok()) << p.status();
  std::string why;
  EXPECT_TRUE(ResourceAllowed(*p, "default", "key", "any", TeeKind::kSnp, "", &why));
  EXPECT_FALSE(ResourceAllowed(*p, "default", "key", "any", TeeKind::kTdx, "", &why));
  EXPECT_NE(why.find("tee tdx"), std::string::npos);
  EXPECT_TRUE(ResourceAllowed(*p, "other", "cert", "x", TeeKind::kTdx, m, &why));
  EXPECT_FALSE(
      ResourceAllowed(*p, "other", "cert", "x", TeeKind::kTdx, std::string(96, 'b'), &why));
  EXPECT_FALSE(ResourceAllowed(*p, "nope", "a", "b", TeeKind::kSnp, "", &why));
  EXPECT_NE(why.find("no policy grant"), std::string::npos);
  EXPECT_FALSE(ParseKbsPolicy(R"({"resourcez":[]})").ok());
  EXPECT_FALSE(ParseKbsPolicy(R"({"attestation":{"snp":{"allow_debugg":true}}})").ok());
  EXPECT_FALSE(ParseKbsPolicy(R"({"resources":[{"path":"a/b"}]})").ok());
  EXPECT_FALSE(ParseKbsPolicy(R"({"resources":[{"path":"a/b/c","tees":["sgx"]}]})").ok());
}

std::string Bytes40(const std::string& sep = ",") {
  std::string out = "[";
  for (int i = 0; i < 40; ++i) out += (i ? sep : "") + std::to_string(i * 6);
  return out + "]";
}

TEST(ByteArrays, SameDocumentAsNlohmannWithBinaryBytes) {
  bool deep = false;
  for (const std::string& text :
       {"{\"a\":" + Bytes40() + "}", "[" + Bytes40() + "," + Bytes40(" , \n") + "]",
        "{\"a\":[" + Bytes40() + "],\"b\":\"[1,2]\",\"c\":" + Bytes40() + "}",
        // not byte arrays: too short, 256, a float, a leading zero (invalid JSON), a sign
        std::string("{\"a\":[1,2,3]}"), "[" + Bytes40().substr(0, 20) + "256]",
        "{\"a\":[1.0" + Bytes40().substr(2) + "}", "{\"a\":[01" + Bytes40().substr(2) + "}",
        "{\"a\":[-1" + Bytes40().substr(2) + "}",
        // an array in a key position stays invalid; strings with brackets and escapes
        "{" + Bytes40() + ":1}", "{\"x\\\"[\":" + Bytes40() + "}", "[" + Bytes40(),
        // a text that already holds the placeholder's spelling is parsed as it is
        "[\"\\u0000pv-bytes:0\"," + Bytes40() + "]"}) {
    SCOPED_TRACE(text);
    const Json got = ParseJsonWithByteArrays(text, ByteArrayScope::kWholeDocument, 32, &deep);
    EXPECT_FALSE(deep);
    EXPECT_TRUE(testing::SameAsReference(got, text)) << got;
  }
  const Json j =
      ParseJsonWithByteArrays("[" + Bytes40() + "]", ByteArrayScope::kWholeDocument, 32, &deep);
  ASSERT_TRUE(j[0].is_binary());
  EXPECT_EQ(j[0].get_binary().size(), 40u);
  EXPECT_EQ(j[0].get_binary()[39], 234);
  EXPECT_TRUE(ParseJsonWithByteArrays(std::string(40, '[') + std::string(40, ']'),
                                      ByteArrayScope::kWholeDocument, 32, &deep)
                  .is_discarded());
  EXPECT_TRUE(deep);
}

TEST(ByteArrays, OnlyTeeEvidenceInTheAttestScope) {
  bool deep = false;
  const std::string text = "{\"runtime-data\":{\"k\":" + Bytes40() +
                           "},\"tee-evidence\":{\"r\":" + Bytes40() + "},\"z\":" + Bytes40() + "}";
  const Json j = ParseJsonWithByteArrays(text, ByteArrayScope::kTeeEvidence, 32, &deep);
  EXPECT_TRUE(j["runtime-data"]["k"].is_array()) << "the runtime data is hashed as sent";
  EXPECT_TRUE(j["tee-evidence"]["r"].is_binary());
  EXPECT_TRUE(j["z"].is_array());
}

TEST(SampleTee, EvidenceParsedAndGrantedOnlyByName) {
  const std::string b48 = Base64Encode(attest::Bytes(48, 7));
  auto e = ParseSampleEvidence(Json{{"svn", "1"}, {"report_data", b48}, {"extra", 1}});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->report_data.size(), 64u);
  EXPECT_EQ(e->report_data[47], 7);
  EXPECT_EQ(e->report_data[48], 0);
  for (const Json& bad :
       {Json{{"report_data", b48}}, Json{{"svn", 1}, {"report_data", b48}},
        Json{{"svn", "1"}, {"report_data", Base64Encode(attest::Bytes(20, 1))}},
        Json{{"svn", "1"}, {"report_data", "not base64!"}}, Json{{"svn", "1"}}, Json("x")}) {
    EXPECT_FALSE(ParseSampleEvidence(bad).ok()) << bad;
  }
  auto p = ParseKbsPolicy(R"({"resources":[{"path":"a/b/c"},{"path":"s/k/*","tees":["sample"]}]})");
  ASSERT_TRUE(p.ok()) << p.status();
  std::string why;
  EXPECT_FALSE(ResourceAllowed(*p, "a", "b", "c", TeeKind::kSample, "", &why));
  EXPECT_TRUE(ResourceAllowed(*p, "s", "k", "x", TeeKind::kSample, "", &why));
  EXPECT_FALSE(ResourceAllowed(*p, "s", "k", "x", TeeKind::kSnp, "", &why));
  auto auth = ParseAuthRequest(R"({"version":"0.4.0","tee":"sample"})");
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->tee, TeeKind::kSample);
}

TEST(Jwt, ParsedStrictlyAndVerifiedWithTheKbsKey) {
  char tmpl[] = "/tmp/kbs-jwt-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto signer = TokenSigner::LoadOrCreate(dir + "/k.pem");
  auto other = TokenSigner::LoadOrCreate(dir + "/o.pem");
  ASSERT_TRUE(signer.ok() && other.ok());
  const Json claims = {{"iss", "pv-kbs"}, {"exp", 5}};
  const std::string token = *signer->Sign(claims);
  auto jwt = ParseCompactJwt(token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->claims, claims);
  EXPECT_TRUE(signer->Verify(*jwt).ok());
  EXPECT_FALSE(other->Verify(*jwt).ok());
  const std::string payload = token.substr(token.find('.'), token.rfind('.') - token.find('.'));
  const std::string sig = token.substr(token.rfind('.'));
  auto head = [](const std::string& h) { return Base64UrlEncode(h); };
  for (const std::string& bad :
       {std::string(""), std::string("a.b"), token + ".x",
        head(R"({"alg":"none"})") + payload + sig,
        head(R"({"alg":"ES256","kid":"k"})") + payload + sig,
        head(R"({"alg":"ES256","jwk":{}})") + payload + sig,
        head(R"({"alg":"HS256"})") + payload + sig, head("[]") + payload + sig,
        head(R"({"alg":"ES256"})") + "." + Base64UrlEncode(std::string("[1]")) + sig,
        token.substr(0, token.rfind('.')) + ".AAAA", token.substr(0, token.rfind('.') + 1) + "*",
        std::string(kMaxTokenBytes + 1, 'a')}) {
    EXPECT_FALSE(ParseCompactJwt(bad).ok()) << bad;
  }
  // A valid header with another payload: parses, but the signature no longer verifies.
  auto edited = ParseCompactJwt(token.substr(0, token.find('.')) + "." +
                                Base64UrlEncode(std::string(R"({"iss":"pv-kbs","exp":9})")) + sig);
  ASSERT_TRUE(edited.ok());
  EXPECT_FALSE(signer->Verify(*edited).ok());
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("  bearer   abc  "), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken(""), "");
}

TEST(Protocol, AuthRequest) {
  auto r = ParseAuthRequest(R"({"version":"0.4.0","tee":"tdx","extra-params":""})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tee, TeeKind::kTdx);
  EXPECT_TRUE(ParseAuthRequest(R"({"version":"0.1.1","tee":"snp"})").ok());
  EXPECT_FALSE(ParseAuthRequest(R"({"version":"1.0.0","tee":"snp"})").ok());
  EXPECT_FALSE(
      ParseAuthRequest(R"({"version":"0.4.0","tee":"sev"})").ok());  // sample: see SampleTee
  EXPECT_FALSE(ParseAuthRequest(R"([])").ok());
  EXPECT_FALSE(ParseAuthRequest(std::string(20000, ' ')).ok());
  EXPECT_FALSE(ParseAuthRequest(std::string(100, '[') + std::string(100, ']')).ok());
}

TEST(Protocol, AttestRequest) {
  const std::string good =
      R"({"runtime-data":{"nonce":"n","tee-pubkey":{"kty":"EC"}},
          "tee-evidence":{"primary_evidence":{"quote":"AA=="},"additional_evidence":""}})";
  auto r = ParseAttestRequest(good);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->nonce, "n");
  EXPECT_EQ(r->primary_evidence["quote"], "AA==");
  auto s = ParseAttestRequest(
      R"({"runtime-data":{"nonce":"n","tee-pubkey":{}},"tee-evidence":{"primary_evidence":"{\"quote\":\"AA==\"}"}})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(ParseAttestRequest(R"({"runtime-data":{"tee-pubkey":{}},"tee-evidence":{}})").ok());
  EXPECT_FALSE(ParseAttestRequest(R"({"runtime-data":{"nonce":"n","tee-pubkey":{}}})").ok());
  EXPECT_FALSE(
      ParseAttestRequest(
          R"({"runtime-data":{"nonce":1,"tee-pubkey":{}},"tee-evidence":{"primary_evidence":{}}})")
          .ok());
}

TEST(Http, SessionCookie) {
  const std::string id(32, 'a');
  EXPECT_EQ(SessionIdFromCookie("kbs-session-id=" + id), id);
  EXPECT_EQ(SessionIdFromCookie("x=1; kbs-session-id=" + id + "; y=2"), id);
  EXPECT_EQ(SessionIdFromCookie("kbs-session-id=" + id + "z"), "");
  EXPECT_EQ(SessionIdFromCookie("kbs-session-id=../../etc/passwd0000000000000000"), "");
  EXPECT_EQ(SessionIdFromCookie(""), "");
}

}  // namespace
}  // namespace pv::kbs
