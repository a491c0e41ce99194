// The real pv-kbs process over HTTP on loopback, attested with evidence this test makes from
// the synthetic AMD-style and Intel-style PKIs (REPORT_DATA = the real runtime-data binding),
// administered with the real pvkbs CLI over the admin socket, and its JWE output opened both by
// this test's own OpenSSL decryptor and by Debian's `jose` command-line tool.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "kbs/base64.h"
#include "kbs/token_signer.h"
#include "tests/kbs/kbs_process.h"
#include "tests/kbs/kbs_test_support.h"

namespace pv::kbs::testing {
namespace {

constexpr char kSecret[] = "disk-key: 8f1d3c0a-4b2e-4e1f-9a7d-55c3e0b1f2aa";
constexpr char kSnpOnlySecret[] = "snp-only secret";

std::array<uint8_t, 48> GoodMeasurement() {
  std::array<uint8_t, 48> m{};
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<uint8_t>(0x40 + i);
  return m;
}
std::array<uint8_t, 32> GoodHostData() {
  std::array<uint8_t, 32> h{};
  h.fill(0x5c);
  return h;
}
std::string GoodMrtd() {
  return std::string(48, '\x22');
}

Json Policy() {
  const auto m = GoodMeasurement();
  const auto h = GoodHostData();
  const std::string mrtd = GoodMrtd();
  return Json{{"attestation",
               {{"snp",
                 {{"allow_debug", false},
                  {"vmpl", 0},
                  {"measurements", {Hex(m.data(), m.size())}},
                  {"host_data", Hex(h.data(), h.size())},
                  {"minimum_tcb", {{"bl", 3}, {"snp", 8}, {"ucode", 115}}}}},
                {"tdx",
                 {{"allow_debug", false},
                  {"mr_td", {Hex(reinterpret_cast<const uint8_t*>(mrtd.data()), 48)}},
                  {"rtmr0", SyntheticTdx::Rtmr0Hex()},
                  {"td_attributes", "0000000000000000"}}}}},
              {"resources", Json::array({{{"path", "default/key/demo"}, {"tees", {"snp", "tdx"}}},
                                         {{"path", "default/key/snp-only"},
                                          {"tees", {"snp"}},
                                          {"measurements", {Hex(m.data(), m.size())}}}})}};
}

class KbsEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    snp_ = new SyntheticSnp();
    tdx_ = new SyntheticTdx();
    kbs_ = new KbsProcess(*snp_, *tdx_);
    ASSERT_TRUE(kbs_->running()) << kbs_->Log();
    WriteFile(kbs_->dir() + "/policy.json", Policy().dump());
    WriteFile(kbs_->dir() + "/secret", kSecret);
    WriteFile(kbs_->dir() + "/snp-secret", kSnpOnlySecret);
    WriteFile(kbs_->dir() + "/other", "never released");
    std::string out;
    ASSERT_EQ(kbs_->Admin({"set-policy", kbs_->dir() + "/policy.json"}, &out), 0) << out;
    ASSERT_EQ(kbs_->Admin({"set-resource", "default/key/demo", kbs_->dir() + "/secret"}, &out), 0)
        << out;
    ASSERT_EQ(
        kbs_->Admin({"set-resource", "default/key/snp-only", kbs_->dir() + "/snp-secret"}, &out),
        0);
    ASSERT_EQ(kbs_->Admin({"set-resource", "default/key/other", kbs_->dir() + "/other"}, &out), 0);
  }
  static void TearDownTestSuite() {
    delete kbs_;
    delete tdx_;
    delete snp_;
  }

  static Bytes SnpReportFor(const Json& rd, SnpSpec spec = DefaultSnp()) {
    return snp_->Report(spec, Binding(rd));
  }
  static SnpSpec DefaultSnp() {
    SnpSpec s;
    s.measurement = GoodMeasurement();
    s.host_data = GoodHostData();
    return s;
  }
  static TdxSpec DefaultTdx() {
    TdxSpec t;
    t.mr_td = GoodMrtd();
    return t;
  }

  // auth + attest with evidence made for this session; returns the attest status.
  static int AttestSnp(KbsClient* c, const AttesterKey& key, SnpSpec spec, Json* resp) {
    const std::string nonce = c->Auth("snp");
    const Json rd = RuntimeData(nonce, key.public_jwk);
    return c->Attest(AttestBody(rd, snp_->Evidence(SnpReportFor(rd, spec))), resp);
  }
  static int AttestTdx(KbsClient* c, const AttesterKey& key, TdxSpec spec, Json* resp) {
    const std::string nonce = c->Auth("tdx");
    const Json rd = RuntimeData(nonce, key.public_jwk);
    return c->Attest(AttestBody(rd, SyntheticTdx::Evidence(tdx_->Quote(spec, Binding(rd)))), resp);
  }

  static std::string ErrorType(const Json& body) {
    const std::string t = body.is_object() ? body.value("type", "") : "";
    const size_t slash = t.rfind('/');
    return slash == std::string::npos ? t : t.substr(slash + 1);
  }
  static std::string Detail(const Json& body) {
    return body.is_object() ? body.value("detail", "") : "";
  }

  // Decrypts with Debian's jose CLI (an independent JOSE implementation).
  static std::string JoseDecrypt(const Json& jwe, const Json& private_jwk) {
    const std::string dir = kbs_->dir();
    WriteFile(dir + "/jwe.json", jwe.dump());
    WriteFile(dir + "/key.jwk", private_jwk.dump());
    const std::string cmd = std::string(PV_JOSE_BINARY) + " jwe dec -i " + dir + "/jwe.json -k " +
                            dir + "/key.jwk > " + dir + "/jose.out 2>&1";
    const int rc = std::system(cmd.c_str());
    std::FILE* f = std::fopen((dir + "/jose.out").c_str(), "rb");
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
    std::fclose(f);
    return rc == 0 ? s : "<jose failed: " + std::to_string(rc) + ": " + s + ">";
  }

  static bool LogHas(const std::string& needle) {
    std::string out;
    kbs_->Admin({"decisions", "1000"}, &out);
    return out.find(needle) != std::string::npos;
  }

  static SyntheticSnp* snp_;
  static SyntheticTdx* tdx_;
  static KbsProcess* kbs_;
};

SyntheticSnp* KbsEndToEnd::snp_ = nullptr;
SyntheticTdx* KbsEndToEnd::tdx_ = nullptr;
KbsProcess* KbsEndToEnd::kbs_ = nullptr;

TEST_F(KbsEndToEnd, SnpGoodPathForEveryKeyType) {
  for (const char* kind : {"P-256", "P-384", "P-521", "RSA"}) {
    SCOPED_TRACE(kind);
    KbsClient c(kbs_->port());
    const AttesterKey key = MakeAttesterKey(kind);
    Json resp;
    ASSERT_EQ(AttestSnp(&c, key, DefaultSnp(), &resp), 200) << resp.dump();
    const std::string token = resp.value("token", "");
    ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2);
    auto claims =
        Base64UrlDecode(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
    ASSERT_TRUE(claims.ok());
    const Json c_json = Json::parse(claims->begin(), claims->end());
    EXPECT_EQ(c_json["tee"], "snp");
    EXPECT_EQ(c_json["tee-pubkey"], key.public_jwk);
    EXPECT_EQ(c_json["evaluation"]["checks"]["report_data_binding"], "match");

    Json jwe;
    ASSERT_EQ(c.Resource("default/key/demo", &jwe), 200) << jwe.dump();
    EXPECT_EQ(jwe.size(), 5u) << jwe.dump();  // protected, encrypted_key, iv, ciphertext, tag
    auto mine = DecryptJwe(jwe, key.key.get());
    ASSERT_TRUE(mine.ok()) << mine.status();
    EXPECT_EQ(std::string(mine->begin(), mine->end()), kSecret);
    // Debian 12's jose (libjose 11) fails "Wrapping/Unwrapping failed!" for every RSA-OAEP
    // variant, even on its own keys, so RSA-OAEP-256 is checked by the OpenSSL decryptor above
    // only; the ECDH-ES+A256KW JWEs are opened by jose too.
    if (std::string(kind) != "RSA") EXPECT_EQ(JoseDecrypt(jwe, key.private_jwk), kSecret);
    // The secret itself never appears in the KBS's log.
    EXPECT_EQ(kbs_->Log().find(kSecret), std::string::npos);
  }
}

TEST_F(KbsEndToEnd, TdxGoodPath) {
  KbsClient c(kbs_->port());
  const AttesterKey key = MakeAttesterKey("P-384");
  Json resp;
  ASSERT_EQ(AttestTdx(&c, key, DefaultTdx(), &resp), 200) << resp.dump();
  Json jwe;
  ASSERT_EQ(c.Resource("default/key/demo", &jwe), 200) << jwe.dump();
  EXPECT_EQ(JoseDecrypt(jwe, key.private_jwk), kSecret);
  // snp-only is not granted to TDX.
  Json denied;
  EXPECT_EQ(c.Resource("default/key/snp-only", &denied), 403);
  EXPECT_EQ(ErrorType(denied), "PolicyDeny");
  EXPECT_NE(Detail(denied).find("not granted to tee tdx"), std::string::npos);
}

TEST_F(KbsEndToEnd, MeasurementNotInPolicy) {
  KbsClient c(kbs_->port());
  SnpSpec spec = DefaultSnp();
  spec.measurement[0] ^= 1;  // firmware changed by one bit
  Json resp;
  EXPECT_EQ(AttestSnp(&c, MakeAttesterKey("P-256"), spec, &resp), 401);
  EXPECT_EQ(ErrorType(resp), "VerificationFailed");
  EXPECT_NE(Detail(resp).find("measurement-not-allowed"), std::string::npos) << resp.dump();
  Json r;
  EXPECT_EQ(c.Resource("default/key/demo", &r), 401);
  TdxSpec t = DefaultTdx();
  t.mr_td[47] ^= 1;
  KbsClient d(kbs_->port());
  EXPECT_EQ(AttestTdx(&d, MakeAttesterKey("P-256"), t, &resp), 401);
  EXPECT_NE(Detail(resp).find("MRTD"), std::string::npos) << resp.dump();
  EXPECT_TRUE(LogHas("measurement-not-allowed"));
}

TEST_F(KbsEndToEnd, DebugBitRejected) {
  KbsClient c(kbs_->port());
  SnpSpec spec = DefaultSnp();
  spec.debug = true;
  Json resp;
  EXPECT_EQ(AttestSnp(&c, MakeAttesterKey("P-256"), spec, &resp), 401);
  EXPECT_NE(Detail(resp).find("debug-allowed"), std::string::npos) << resp.dump();
  TdxSpec t = DefaultTdx();
  t.debug = true;
  KbsClient d(kbs_->port());
  EXPECT_EQ(AttestTdx(&d, MakeAttesterKey("P-256"), t, &resp), 401);
  EXPECT_NE(Detail(resp).find("TD_ATTRIBUTES.DEBUG"), std::string::npos) << resp.dump();
}

TEST_F(KbsEndToEnd, VmplAndHostDataAppraised) {
  KbsClient c(kbs_->port());
  SnpSpec spec = DefaultSnp();
  spec.vmpl = 1;
  Json resp;
  EXPECT_EQ(AttestSnp(&c, MakeAttesterKey("P-256"), spec, &resp), 401);
  EXPECT_NE(Detail(resp).find("vmpl"), std::string::npos) << resp.dump();
  spec = DefaultSnp();
  spec.host_data[3] ^= 0x80;
  KbsClient d(kbs_->port());
  EXPECT_EQ(AttestSnp(&d, MakeAttesterKey("P-256"), spec, &resp), 401);
  EXPECT_NE(Detail(resp).find("host-data-mismatch"), std::string::npos) << resp.dump();
}

TEST_F(KbsEndToEnd, EvidenceBoundToAnotherSession) {
  const AttesterKey key = MakeAttesterKey("P-256");
  KbsClient a(kbs_->port()), b(kbs_->port());
  const Json rd_a = RuntimeData(a.Auth("snp"), key.public_jwk);
  const Json rd_b = RuntimeData(b.Auth("snp"), key.public_jwk);
  const Json evidence_a = snp_->Evidence(SnpReportFor(rd_a));
  Json resp;
  // A's whole attestation presented on B's session: the nonce is not B's.
  EXPECT_EQ(b.Attest(AttestBody(rd_a, evidence_a), &resp), 401);
  EXPECT_NE(Detail(resp).find("nonce is not this session's"), std::string::npos) << resp.dump();
  // A's evidence with B's runtime data (on a fresh session, B's nonce was consumed).
  KbsClient c(kbs_->port());
  const Json rd_c = RuntimeData(c.Auth("snp"), key.public_jwk);
  EXPECT_EQ(c.Attest(AttestBody(rd_c, evidence_a), &resp), 401);
  EXPECT_NE(Detail(resp).find("report-data-mismatch"), std::string::npos) << resp.dump();
  // A itself still succeeds with its own evidence.
  EXPECT_EQ(a.Attest(AttestBody(rd_a, evidence_a), &resp), 200) << resp.dump();
}

TEST_F(KbsEndToEnd, ReplayedEvidenceAndOldNonce) {
  const AttesterKey key = MakeAttesterKey("P-256");
  KbsClient a(kbs_->port());
  const Json rd = RuntimeData(a.Auth("snp"), key.public_jwk);
  const Json body = AttestBody(rd, snp_->Evidence(SnpReportFor(rd)));
  Json resp;
  ASSERT_EQ(a.Attest(body, &resp), 200) << resp.dump();
  // The same body again on the same session: its nonce was used.
  EXPECT_EQ(a.Attest(body, &resp), 401);
  EXPECT_EQ(ErrorType(resp), "NonceUsed");
  // On a new session, the old nonce is not the session's.
  KbsClient b(kbs_->port());
  b.Auth("snp");
  EXPECT_EQ(b.Attest(body, &resp), 401);
  EXPECT_NE(Detail(resp).find("nonce"), std::string::npos);
  Json r;
  EXPECT_EQ(b.Resource("default/key/demo", &r), 401);
  // A failed attempt also consumes the nonce: no second try on the same challenge.
  KbsClient c(kbs_->port());
  const Json rd_c = RuntimeData(c.Auth("snp"), key.public_jwk);
  SnpSpec bad = DefaultSnp();
  bad.debug = true;
  EXPECT_EQ(c.Attest(AttestBody(rd_c, snp_->Evidence(SnpReportFor(rd_c, bad))), &resp), 401);
  EXPECT_EQ(c.Attest(AttestBody(rd_c, snp_->Evidence(SnpReportFor(rd_c))), &resp), 401);
  EXPECT_EQ(ErrorType(resp), "NonceUsed");
}

TEST_F(KbsEndToEnd, OneFlippedBit) {
  const AttesterKey key = MakeAttesterKey("P-256");
  Json resp;
  {  // in the signed part of the SNP report (REPORT_DATA byte 0), signature left alone
    KbsClient c(kbs_->port());
    const Json rd = RuntimeData(c.Auth("snp"), key.public_jwk);
    Bytes report = SnpReportFor(rd);
    report[0x50] ^= 0x01;
    EXPECT_EQ(c.Attest(AttestBody(rd, snp_->Evidence(report)), &resp), 401);
    EXPECT_NE(Detail(resp).find("verification-failed: signature"), std::string::npos)
        << resp.dump();
  }
  {  // in the runtime data (tee-pubkey), evidence unchanged
    KbsClient c(kbs_->port());
    const Json rd = RuntimeData(c.Auth("snp"), key.public_jwk);
    const Bytes report = SnpReportFor(rd);
    const AttesterKey other = MakeAttesterKey("P-256");
    Json rd2 = RuntimeData(rd["nonce"], other.public_jwk);  // the relay swaps in its own key
    EXPECT_EQ(c.Attest(AttestBody(rd2, snp_->Evidence(report)), &resp), 401);
    EXPECT_NE(Detail(resp).find("report-data-mismatch"), std::string::npos) << resp.dump();
  }
  {  // one extra member in the runtime data changes the binding
    KbsClient c(kbs_->port());
    const Json rd = RuntimeData(c.Auth("snp"), key.public_jwk);
    const Bytes report = SnpReportFor(rd);
    Json rd2 = rd;
    rd2["x"] = 1;
    EXPECT_EQ(c.Attest(AttestBody(rd2, snp_->Evidence(report)), &resp), 401);
    EXPECT_NE(Detail(resp).find("report-data-mismatch"), std::string::npos) << resp.dump();
  }
  {  // in the TDX quote body
    KbsClient c(kbs_->port());
    const Json rd = RuntimeData(c.Auth("tdx"), key.public_jwk);
    Bytes quote = tdx_->Quote(DefaultTdx(), Binding(rd));
    quote[48 + 136] ^= 0x04;  // MRTD byte 0
    EXPECT_EQ(c.Attest(AttestBody(rd, SyntheticTdx::Evidence(quote)), &resp), 401);
    EXPECT_NE(Detail(resp).find("verification-failed: quote_sig"), std::string::npos)
        << resp.dump();
  }
}

TEST_F(KbsEndToEnd, ResourceNotGrantedOrMissing) {
  KbsClient c(kbs_->port());
  Json resp;
  ASSERT_EQ(AttestSnp(&c, MakeAttesterKey("P-256"), DefaultSnp(), &resp), 200);
  EXPECT_EQ(c.Resource("default/key/other", &resp), 403);
  EXPECT_EQ(ErrorType(resp), "PolicyDeny");
  EXPECT_EQ(Detail(resp).find("never released"), std::string::npos);
  EXPECT_EQ(c.Resource("default/key/snp-only", &resp), 200);
  EXPECT_EQ(c.Resource("default/key/..", &resp), 400);
  KbsClient unattested(kbs_->port());
  unattested.Auth("snp");
  EXPECT_EQ(unattested.Resource("default/key/demo", &resp), 401);
  EXPECT_EQ(ErrorType(resp), "UnAuthenticatedCookie");
  KbsClient nobody(kbs_->port());
  EXPECT_EQ(nobody.Resource("default/key/demo", &resp), 401);
  EXPECT_EQ(ErrorType(resp), "MissingCookie");
  EXPECT_TRUE(LogHas("resource-not-granted"));
}

TEST_F(KbsEndToEnd, AdminApiNotOpenToTheAttesterSide) {
  KbsClient c(kbs_->port());
  Json resp;
  ASSERT_EQ(AttestSnp(&c, MakeAttesterKey("P-256"), DefaultSnp(), &resp), 200);
  // trustee's admin routes on the attester listener, even from an attested session.
  EXPECT_EQ(c.Raw("POST", "/kbs/v0/resource/default/key/demo", "overwritten", &resp), 401);
  EXPECT_EQ(ErrorType(resp), "AdminAuth");
  EXPECT_EQ(c.Raw("PUT", "/kbs/v0/resource/default/key/demo", "overwritten", &resp), 401);
  EXPECT_EQ(c.Raw("POST", "/kbs/v0/resource-policy", "{}", &resp), 401);
  EXPECT_EQ(c.Raw("POST", "/kbs/v0/attestation-policy", "{}", &resp), 401);
  EXPECT_EQ(c.Raw("GET", "/kbs/v0/resource-policy", "", &resp), 401);
  std::string out;
  ASSERT_EQ(kbs_->Admin({"get-resource", "default/key/demo"}, &out), 0);
  EXPECT_EQ(out, kSecret) << "the resource is unchanged";
  EXPECT_TRUE(LogHas("admin request on the attester listener"));
}

TEST_F(KbsEndToEnd, MalformedRequestsGetTrusteeErrors) {
  KbsClient c(kbs_->port());
  Json resp;
  EXPECT_EQ(c.Raw("POST", "/kbs/v0/auth", "{not json", &resp), 400);
  EXPECT_EQ(ErrorType(resp), "InvalidRequest");
  EXPECT_EQ(c.Raw("POST", "/kbs/v0/auth", R"({"version":"0.4.0","tee":"sgx"})", &resp), 400);
  c.Auth("snp");
  EXPECT_EQ(c.Raw("POST", "/kbs/v0/attest", "[]", &resp), 400);
  EXPECT_EQ(c.Raw("GET", "/kbs/v0/nothing", "", &resp), 404);
  EXPECT_TRUE(resp.is_object() && resp.contains("type")) << resp.dump();
}

TEST_F(KbsEndToEnd, ManySessionsHeldAtOnce) {
  // 200 sessions challenged before any attests, then attested and served from 8 threads.
  constexpr int kSessions = 200;
  std::vector<std::unique_ptr<KbsClient>> clients;
  std::vector<Json> bodies;
  const AttesterKey key = MakeAttesterKey("P-256");
  for (int i = 0; i < kSessions; ++i) {
    clients.push_back(std::make_unique<KbsClient>(kbs_->port()));
    const Json rd = RuntimeData(clients.back()->Auth(i % 2 ? "snp" : "tdx"), key.public_jwk);
    bodies.push_back(
        i % 2 ? AttestBody(rd, snp_->Evidence(SnpReportFor(rd)))
              : AttestBody(rd, SyntheticTdx::Evidence(tdx_->Quote(DefaultTdx(), Binding(rd)))));
  }
  std::atomic<int> ok{0}, next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i; (i = next++) < kSessions;) {
        Json resp, jwe;
        if (clients[i]->Attest(bodies[i], &resp) != 200) continue;
        if (clients[i]->Resource("default/key/demo", &jwe) != 200) continue;
        auto pt = DecryptJwe(jwe, key.key.get());
        if (pt.ok() && std::string(pt->begin(), pt->end()) == kSecret) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kSessions);
}

TEST(KbsExpiry, ChallengeAndSessionExpire) {
  SyntheticSnp snp;
  SyntheticTdx tdx;
  KbsProcess kbs(snp, tdx, {"--challenge-ttl", "1", "--session-ttl", "2", "--token-ttl", "2"});
  ASSERT_TRUE(kbs.running()) << kbs.Log();
  WriteFile(kbs.dir() + "/policy.json", R"({"resources":[{"path":"default/key/demo"}]})");
  WriteFile(kbs.dir() + "/secret", "s");
  ASSERT_EQ(kbs.Admin({"set-policy", kbs.dir() + "/policy.json"}), 0);
  ASSERT_EQ(kbs.Admin({"set-resource", "default/key/demo", kbs.dir() + "/secret"}), 0);
  const AttesterKey key = MakeAttesterKey("P-256");
  SnpSpec spec;
  // Challenge expiry: attest 2.5 s after /auth.
  KbsClient a(kbs.port());
  const Json rd = RuntimeData(a.Auth("snp"), key.public_jwk);
  const Json body = AttestBody(rd, snp.Evidence(snp.Report(spec, Binding(rd))));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  Json resp;
  EXPECT_EQ(a.Attest(body, &resp), 401);
  // Removed on expiry: either reported as expired or, once swept, as unknown.
  const std::string type = resp.value("type", "");
  EXPECT_TRUE(type.find("ExpiredCookie") != std::string::npos ||
              type.find("InvalidCookie") != std::string::npos)
      << resp.dump();
  // Session expiry: attested, then the resource asked for after session_ttl.
  KbsClient b(kbs.port());
  const Json rd_b = RuntimeData(b.Auth("snp"), key.public_jwk);
  ASSERT_EQ(b.Attest(AttestBody(rd_b, snp.Evidence(snp.Report(spec, Binding(rd_b)))), &resp), 200)
      << resp.dump();
  const std::string token = resp.value("token", "");
  EXPECT_EQ(b.Resource("default/key/demo", &resp), 200);
  KbsClient bearer(kbs.port());
  bearer.set_bearer(token);
  EXPECT_EQ(bearer.Resource("default/key/demo", &resp), 200) << resp.dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  EXPECT_EQ(b.Resource("default/key/demo", &resp), 401);
  EXPECT_NE(resp.value("type", "").find("ExpiredCookie"), std::string::npos) << resp.dump();
  // The token's own expiry (--token-ttl 2), also without the session.
  EXPECT_EQ(bearer.Resource("default/key/demo", &resp), 401);
  EXPECT_NE(resp.value("type", "").find("ExpiredToken"), std::string::npos) << resp.dump();
}

// The claims of a token the KBS issued (its payload, not verified here).
Json TokenClaims(const std::string& token) {
  const size_t a = token.find('.'), b = token.rfind('.');
  auto payload = Base64UrlDecode(token.substr(a + 1, b - a - 1));
  return payload.ok() ? Json::parse(payload->begin(), payload->end(), nullptr, false) : Json();
}

// A token whose payload was edited (same header and signature), or re-headed.
std::string WithPayload(const std::string& token, const Json& claims) {
  const size_t a = token.find('.'), b = token.rfind('.');
  return token.substr(0, a + 1) + Base64UrlEncode(claims.dump()) + token.substr(b);
}

TEST_F(KbsEndToEnd, BearerTokenReleasesToTheTokensKeyAndForgeriesAreRefused) {
  const AttesterKey key = MakeAttesterKey("P-256");
  KbsClient owner(kbs_->port());
  Json resp;
  ASSERT_EQ(AttestSnp(&owner, key, DefaultSnp(), &resp), 200) << resp.dump();
  const std::string token = resp.value("token", "");
  // The token alone (no cookie): released, wrapped to the token's tee-pubkey.
  KbsClient bearer(kbs_->port());
  bearer.set_bearer(token);
  Json jwe;
  ASSERT_EQ(bearer.Resource("default/key/demo", &jwe), 200) << jwe.dump();
  auto plain = DecryptJwe(jwe, key.key.get());
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(std::string(plain->begin(), plain->end()), kSecret);
  EXPECT_EQ(bearer.Resource("default/key/other", &jwe), 403) << "policy still applies";
  EXPECT_TRUE(LogHas("\"credential\":\"bearer-token\""));
  // With the cookie of the session it was issued to: fine; with another session's: refused.
  owner.set_bearer(token);
  EXPECT_EQ(owner.Resource("default/key/demo", &jwe), 200) << jwe.dump();
  KbsClient other(kbs_->port());
  ASSERT_EQ(AttestSnp(&other, MakeAttesterKey("P-256"), DefaultSnp(), &resp), 200);
  other.set_bearer(token);
  EXPECT_EQ(other.Resource("default/key/demo", &jwe), 401);
  EXPECT_NE(Detail(jwe).find("another session"), std::string::npos) << jwe.dump();
  // Forgeries: another measurement, another tee-pubkey (an attacker's key), alg none, another
  // key's signature, garbage.
  Json claims = TokenClaims(token);
  const AttesterKey attacker = MakeAttesterKey("P-256");
  Json forged_measurement = claims;
  forged_measurement["measurement"] = std::string(96, 'a');
  Json forged_key = claims;
  forged_key["tee-pubkey"] = attacker.public_jwk;
  const std::string none = Base64UrlEncode(std::string(R"({"alg":"none","typ":"JWT"})")) +
                           token.substr(token.find('.'), token.rfind('.') - token.find('.')) + ".";
  auto foreign = TokenSigner::LoadOrCreate(kbs_->dir() + "/foreign-token-key.pem");
  ASSERT_TRUE(foreign.ok());
  auto foreign_token = foreign->Sign(claims);
  ASSERT_TRUE(foreign_token.ok());
  for (const std::string& t :
       {WithPayload(token, forged_measurement), WithPayload(token, forged_key), none,
        *foreign_token, std::string("not.a.token"), token + "x", token.substr(1)}) {
    KbsClient c(kbs_->port());
    c.set_bearer(t);
    EXPECT_EQ(c.Resource("default/key/demo", &jwe), 401) << t;
    EXPECT_EQ(ErrorType(jwe), "InvalidToken") << jwe.dump();
  }
}

// trustee's sample TEE: the evidence only repeats the binding.
Json SampleEvidence(const Json& runtime_data, size_t bytes = 48) {
  const Rd binding = Binding(runtime_data);
  return Json{{"svn", "1"}, {"report_data", Base64Encode(attest::ByteSpan(binding.data(), bytes))}};
}

TEST_F(KbsEndToEnd, SampleTeeRefusedUnlessAllowed) {
  KbsClient c(kbs_->port());
  int status = 0;
  EXPECT_EQ(c.Auth("sample", &status), "");
  EXPECT_EQ(status, 400);
  EXPECT_TRUE(LogHas("tee \\\"sample\\\" (trustee's test TEE"));
}

TEST(KbsSample, AcceptedOnlyWhenAllowedMarkedAndOnlyForGrantsNamingIt) {
  SyntheticSnp snp;
  SyntheticTdx tdx;
  KbsProcess kbs(snp, tdx, {"--allow-sample-tee"});
  ASSERT_TRUE(kbs.running()) << kbs.Log();
  EXPECT_NE(kbs.Log().find("sample TEE is allowed"), std::string::npos) << kbs.Log();
  WriteFile(kbs.dir() + "/policy.json",
            R"({"resources":[{"path":"default/key/all"},
                             {"path":"default/key/sample","tees":["sample"]}]})");
  WriteFile(kbs.dir() + "/secret", "sample secret");
  ASSERT_EQ(kbs.Admin({"set-policy", kbs.dir() + "/policy.json"}), 0);
  for (const char* r : {"default/key/all", "default/key/sample"}) {
    ASSERT_EQ(kbs.Admin({"set-resource", r, kbs.dir() + "/secret"}), 0);
  }
  const AttesterKey key = MakeAttesterKey("P-256");
  for (size_t bytes : {48u, 64u}) {  // the digest, or the digest zero-padded to REPORT_DATA
    KbsClient c(kbs.port());
    const Json rd = RuntimeData(c.Auth("sample"), key.public_jwk);
    Json resp;
    ASSERT_EQ(c.Attest(AttestBody(rd, SampleEvidence(rd, bytes)), &resp), 200) << resp.dump();
    const Json claims = TokenClaims(resp.value("token", ""));
    EXPECT_EQ(claims.value("tee", ""), "sample");
    EXPECT_EQ(claims["evaluation"].value("verdict", ""), "accept-unverified-sample");
    Json jwe;
    ASSERT_EQ(c.Resource("default/key/sample", &jwe), 200) << jwe.dump();
    auto plain = DecryptJwe(jwe, key.key.get());
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(std::string(plain->begin(), plain->end()), "sample secret");
    // A grant without "tees" means the real TEEs, never the sample one.
    EXPECT_EQ(c.Resource("default/key/all", &jwe), 403) << jwe.dump();
  }
  // report_data that is not this session's binding: refused.
  KbsClient bad(kbs.port());
  const Json rd = RuntimeData(bad.Auth("sample"), key.public_jwk);
  Json other = rd;
  other["nonce"] = "another nonce";
  Json resp;
  EXPECT_EQ(bad.Attest(AttestBody(rd, SampleEvidence(other)), &resp), 401) << resp.dump();
  EXPECT_NE(resp.value("detail", "").find("report-data-mismatch"), std::string::npos);
  std::string out;
  ASSERT_EQ(kbs.Admin({"decisions", "50"}, &out), 0);
  EXPECT_NE(out.find("NOTHING VERIFIED"), std::string::npos) << out;
  EXPECT_NE(out.find("accepted without verification (--allow-sample-tee)"), std::string::npos);
}

TEST(KbsAdmin, SocketRefusesOtherUids) {
  SyntheticSnp snp;
  SyntheticTdx tdx;
  // The admin uid is not ours: the kernel-reported peer uid must be refused.
  const std::string other_uid = std::to_string(getuid() + 4242);
  KbsProcess kbs(snp, tdx, {"--admin-uid", other_uid});
  ASSERT_TRUE(kbs.running()) << kbs.Log();
  std::string out;
  EXPECT_EQ(kbs.Admin({"list-resources"}, &out), 1);
  EXPECT_NE(out.find("permission denied"), std::string::npos) << out;
  WriteFile(kbs.dir() + "/secret", "s");
  EXPECT_EQ(kbs.Admin({"set-resource", "default/key/demo", kbs.dir() + "/secret"}, &out), 1);
  EXPECT_NE(kbs.Log().find("peer uid is not the admin uid"), std::string::npos);
}

TEST(KbsAdmin, CliRoundTripsAndValidatesPolicy) {
  SyntheticSnp snp;
  SyntheticTdx tdx;
  KbsProcess kbs(snp, tdx);
  ASSERT_TRUE(kbs.running()) << kbs.Log();
  std::string out;
  WriteFile(kbs.dir() + "/v", std::string("\x00\x01\xff", 3));
  ASSERT_EQ(kbs.Admin({"set-resource", "r/t/a", kbs.dir() + "/v"}, &out), 0) << out;
  ASSERT_EQ(kbs.Admin({"set-resource", "r/t/b", "-"}, &out, kbs.dir() + "/v"), 0) << out;
  ASSERT_EQ(kbs.Admin({"get-resource", "r/t/b"}, &out), 0);
  EXPECT_EQ(out, std::string("\x00\x01\xff", 3));
  ASSERT_EQ(kbs.Admin({"list-resources"}, &out), 0);
  EXPECT_EQ(out, "r/t/a\nr/t/b\n");
  ASSERT_EQ(kbs.Admin({"delete-resource", "r/t/a"}, &out), 0);
  EXPECT_EQ(kbs.Admin({"get-resource", "r/t/a"}, &out), 1);
  EXPECT_EQ(kbs.Admin({"set-resource", "../t/a", kbs.dir() + "/v"}, &out), 1);
  WriteFile(kbs.dir() + "/bad.json", R"({"attestation":{"snp":{"allow_debugg":true}}})");
  EXPECT_EQ(kbs.Admin({"set-policy", kbs.dir() + "/bad.json"}, &out), 1);
  EXPECT_NE(out.find("allow_debugg"), std::string::npos) << out;
  EXPECT_EQ(kbs.Admin({"get-policy"}, &out), 1) << "the bad policy was not stored";
  ASSERT_EQ(kbs.Admin({"decisions", "5"}, &out), 0);
  EXPECT_NE(out.find("\"event\":\"admin\""), std::string::npos) << out;
  EXPECT_EQ(out.find("AAH/"), std::string::npos) << "resource values are never logged";
  ASSERT_EQ(kbs.Admin({"status"}, &out), 0);
  EXPECT_NE(out.find("token_jwk"), std::string::npos);
}

}  // namespace
}  // namespace pv::kbs::testing
