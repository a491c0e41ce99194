// Unit tests for the bounded parsers behind the verifier: the PCK SGX extension DER, the raw
// member scanner, TCB info / QE identity documents, and the collateral loaders (Phala JSON
// bundles and the PCS-keyed cache directory).
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/time/time.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/pck_extensions.h"
#include "attest/tdx/tdx_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/attest/tdx/test_files.h"
#include "tests/attest/tdx/test_pki.h"

namespace pv::attest::tdx {
namespace {

using testing::HasSubstr;

// --- PCK SGX extension ----------------------------------------------------------------------

TEST(PckExtensions, ParsesWhatTheTestPkiWrites) {
  testing_pki::PckTcb tcb;
  tcb.components = {1, 2, 3, 4, 5, 6, 7, 200, 9, 10, 11, 12, 13, 14, 15, 16};
  tcb.pcesvn = 300;  // two-byte INTEGER
  auto ext = ParsePckExtensionsDer(testing_pki::SgxExtensionDer(tcb));
  ASSERT_TRUE(ext.ok()) << ext.status();
  EXPECT_EQ(ext->tcb_components, tcb.components);
  EXPECT_EQ(ext->pcesvn, 300);
  EXPECT_EQ(HexEncode(ext->fmspc), "90c06f000000");
  EXPECT_EQ(HexEncode(ext->pceid), "0000");
  EXPECT_EQ(ext->sgx_type, 0);
  EXPECT_EQ(ext->ppid.size(), 16u);
}

TEST(PckExtensions, EveryTruncationIsRejected) {
  const std::string der = testing_pki::SgxExtensionDer(testing_pki::PckTcb());
  for (size_t len = 0; len < der.size(); ++len) {
    EXPECT_FALSE(ParsePckExtensionsDer(absl::string_view(der.data(), len)).ok()) << len;
  }
}

TEST(PckExtensions, TrailingBytesAreRejected) {
  const std::string der = testing_pki::SgxExtensionDer(testing_pki::PckTcb());
  auto r = ParsePckExtensionsDer(der + std::string("\x00", 1));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("trailing bytes"));
}

TEST(PckExtensions, WrongFmspcLengthIsRejected) {
  testing_pki::PckTcb tcb;
  tcb.fmspc = "\x90\xc0\x6f";
  auto r = ParsePckExtensionsDer(testing_pki::SgxExtensionDer(tcb));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("FMSPC: expected OCTET STRING of 6"));
}

TEST(PckExtensions, LengthBeyondTheBufferIsRejected) {
  std::string der = testing_pki::SgxExtensionDer(testing_pki::PckTcb());
  der[3] = '\x7f';  // first member's length (the outer one is long-form "30 82 xx xx")
  EXPECT_FALSE(ParsePckExtensionsDer(der).ok());
  EXPECT_FALSE(ParsePckExtensionsDer(std::string("\x30\x84\xff\xff\xff\xff", 6)).ok());
  EXPECT_FALSE(ParsePckExtensionsDer(std::string("\x30\x80\x00\x00", 4)).ok());  // indefinite
}

TEST(PckExtensions, RealPckCertificatesDecodeThroughTheVerifier) {
  TdxVerifyOptions o;
  o.now = absl::FromCivil(absl::CivilSecond(2023, 7, 1, 1, 0, 0), absl::UTCTimeZone());
  auto r = VerifyTdxQuote(ReadVector("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat"), {}, o);
  ASSERT_TRUE(r.ok());
  std::map<std::string, std::string> f(r->fields.begin(), r->fields.end());
  EXPECT_EQ(f["PCK.FMSPC"], "50806f000000");
  EXPECT_EQ(f["PCK.PCEID"], "0000");
  EXPECT_EQ(f["PCK.PCESVN"], "11");
  EXPECT_EQ(f["PCK.CA"], "platform");
  EXPECT_EQ(f["PCK.TCB_COMPONENTS"].size(), 32u);
}

// --- Raw member scanner and documents ------------------------------------------------------

TEST(TopLevelMembers, ReturnsTheExactBytesOfEachMember) {
  const std::string doc = R"({ "a" : { "x" : [1, "}\"]"] } , "b":"s\"t","c":-1.5e3,"d":null})";
  auto m = TopLevelMembers(doc);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ((*m)[0].first, "a");
  EXPECT_EQ((*m)[0].second, R"({ "x" : [1, "}\"]"] })");
  EXPECT_EQ((*m)[1].second, R"("s\"t")");
  EXPECT_EQ((*m)[2].second, "-1.5e3");
  EXPECT_EQ((*m)[3].second, "null");
}

TEST(TopLevelMembers, RejectsDuplicatesDeepNestingAndNonObjects) {
  EXPECT_FALSE(TopLevelMembers(R"({"tcbInfo":{},"tcbInfo":{}})").ok());
  EXPECT_FALSE(TopLevelMembers("[1,2]").ok());
  EXPECT_FALSE(TopLevelMembers("{\"a\":1").ok());
  std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  auto r = TopLevelMembers(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("nested too deeply"));
}

TEST(TcbInfoDocument, ParsesTheRealV5TcbInfo) {
  const std::string doc = ReadVector("tdx/go-tdx-guest/sample_tcbinfo_response_v5");
  auto t = ParseTcbInfoDocument(doc);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->info.id, "TDX");
  EXPECT_EQ(HexEncode(t->info.fmspc), "90c06f000000");
  EXPECT_FALSE(t->info.levels.empty());
  EXPECT_FALSE(t->info.module_identities.empty());
  EXPECT_EQ(t->signed_json.signature.size(), 64u);
  // The signed bytes are a slice of the document, starting at the member's '{'.
  EXPECT_EQ(t->signed_json.signed_bytes.front(), '{');
  EXPECT_NE(doc.find(std::string(t->signed_json.signed_bytes)), std::string::npos);
}

TEST(TcbInfoDocument, RejectsSgxTcbInfo) {
  auto t =
      ParseTcbInfoDocument(ReadVector("tdx/teekit/sampleTcbInfos/tcbInfo-sgx-00806f050000.json"));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("expected TDX/3"));
}

TEST(TcbInfoDocument, RejectsBadFieldsWithTheirNames) {
  using testing_pki::TcbInfoBody;
  const std::string good = TcbInfoBody("90C06F000000", "", "");
  const std::string sig = std::string(128, '0');
  auto wrap = [&](const std::string& body) {
    return "{\"tcbInfo\":" + body + ",\"signature\":\"" + sig + "\"}";
  };
  ASSERT_TRUE(ParseTcbInfoDocument(wrap(good)).ok());
  std::string bad_fmspc = good;
  bad_fmspc.replace(bad_fmspc.find("90C06F000000"), 12, "90C06F0000");
  EXPECT_THAT(std::string(ParseTcbInfoDocument(wrap(bad_fmspc)).status().message()),
              HasSubstr("\"fmspc\" is 5 bytes"));
  std::string bad_date = good;
  bad_date.replace(bad_date.find("2026-01-01T"), 11, "2026-13-01T");
  EXPECT_THAT(std::string(ParseTcbInfoDocument(wrap(bad_date)).status().message()),
              HasSubstr("issueDate"));
  EXPECT_THAT(std::string(ParseTcbInfoDocument("{\"tcbInfo\":" + good + "}").status().message()),
              HasSubstr("no top-level \"signature\""));
  EXPECT_THAT(std::string(ParseTcbInfoDocument("{\"tcbInfo\":" + good + ",\"signature\":\"00\"}")
                              .status()
                              .message()),
              HasSubstr("expected 64"));
}

TEST(TcbInfoDocument, RejectsUnknownStatusesAndTcbTypes) {
  using testing_pki::PlatformLevel;
  using testing_pki::TcbInfoBody;
  const std::string sig = std::string(128, '0');
  auto wrap = [&](const std::string& body) {
    return "{\"tcbInfo\":" + body + ",\"signature\":\"" + sig + "\"}";
  };
  const std::array<uint8_t, 16> zero{};
  auto r = ParseTcbInfoDocument(
      wrap(TcbInfoBody("90C06F000000", PlatformLevel(zero, 0, zero, "Fine"), "")));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("unknown tcbStatus \"Fine\""));
  std::string body = TcbInfoBody("90C06F000000", "", "");
  body.replace(body.find("\"tcbType\":0"), 11, "\"tcbType\":1");
  r = ParseTcbInfoDocument(wrap(body));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("tcbType = 1"));
}

TEST(QeIdentityDocument, ParsesTheRealQeIdentity) {
  const std::string doc = ReadVector("tdx/go-tdx-guest/sample_qeIdentity_response");
  auto q = ParseQeIdentityDocument(doc);  // signed_bytes is a view into `doc`
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->identity.id, "TD_QE");
  EXPECT_EQ(q->identity.isvprodid, 2);
  EXPECT_EQ(q->identity.levels.size(), 1u);
  EXPECT_EQ(q->identity.levels[0].status, "UpToDate");
}

// --- Loaders --------------------------------------------------------------------------------

TdxVerifyOptions PhalaOptions() {
  TdxVerifyOptions o;
  o.now = absl::FromCivil(absl::CivilSecond(2025, 7, 1, 0, 0, 0), absl::UTCTimeZone());
  o.root_certificate = ReadVector("tdx/phala-dcap-qvl/TrustedRootCA.der");
  return o;
}

std::vector<std::string> Values(const VerificationReport& r) {
  std::vector<std::string> v;
  for (const auto& c : r.checks) v.push_back(c.name + "=" + c.value);
  return v;
}

TEST(CollateralLoaders, PhalaJsonBundleVerifiesLikeTheSeparateFiles) {
  auto bundle = LoadPhalaCollateralJson(VectorPath("tdx/phala-dcap-qvl/tdx_quote_collateral.json"));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  const std::string quote = ReadVector("tdx/phala-dcap-qvl/tdx_quote");
  auto from_bundle = VerifyTdxQuote(quote, *bundle, PhalaOptions());
  ASSERT_TRUE(from_bundle.ok()) << from_bundle.status();
  TdxCollateral files;
  files.tcb_info_json = ReadVector("tdx/phala-dcap-qvl/tdx_quote.tcbInfo.json");
  files.tcb_info_issuer_chain_pem = ReadVector("tdx/phala-dcap-qvl/tdx_quote.tcbSignChain.pem");
  files.qe_identity_json = ReadVector("tdx/phala-dcap-qvl/tdx_quote.qeIdentity.json");
  files.pck_crl = ReadVector("tdx/phala-dcap-qvl/tdx_quote.pck_crl.der");
  files.root_ca_crl = ReadVector("tdx/phala-dcap-qvl/tdx_quote.root_ca_crl.der");
  auto from_files = VerifyTdxQuote(quote, files, PhalaOptions());
  ASSERT_TRUE(from_files.ok());
  EXPECT_EQ(Values(*from_bundle), Values(*from_files));
  EXPECT_TRUE(from_bundle->Accepted()) << testing::PrintToString(Values(*from_bundle));
}

TEST(CollateralLoaders, PhalaJsonBundleRejectsMissingMembers) {
  const std::string path = ::testing::TempDir() + "/pv_tdx_bad_bundle.json";
  std::ofstream(path) << R"({"tcb_info":"{}"})";
  auto r = LoadPhalaCollateralJson(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("tcb_info_signature"));
}

TEST(CollateralLoaders, CacheDirectoryKeyedByFmspcAndCa) {
  const std::string quote = ReadVector("tdx/phala-dcap-qvl/tdx_quote");
  auto key = CollateralKeyForQuote(quote);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->fmspc, "b0c06f000000");
  EXPECT_EQ(key->ca, "platform");

  const std::string dir = ::testing::TempDir() + "/pv_tdx_collateral_cache";
  for (const char* sub : {"", "/tcb", "/qe", "/pckcrl"}) mkdir((dir + sub).c_str(), 0755);
  auto put = [&](const std::string& rel, const std::string& vector) {
    std::ofstream(dir + "/" + rel, std::ios::binary) << ReadVector(vector);
  };
  put("tcb/b0c06f000000.json", "tdx/phala-dcap-qvl/tdx_quote.tcbInfo.json");
  put("tcb/b0c06f000000.issuer-chain.pem", "tdx/phala-dcap-qvl/tdx_quote.tcbSignChain.pem");
  put("qe/identity.json", "tdx/phala-dcap-qvl/tdx_quote.qeIdentity.json");
  put("pckcrl/platform.crl", "tdx/phala-dcap-qvl/tdx_quote.pck_crl.der");
  put("pckcrl/platform.issuer-chain.pem", "tdx/phala-dcap-qvl/tdx_quote.pckCrlChain.pem");
  put("rootcrl.crl", "tdx/phala-dcap-qvl/tdx_quote.root_ca_crl.der");

  auto collateral = LoadCollateralFromDirectory(dir, *key);
  ASSERT_TRUE(collateral.ok()) << collateral.status();
  auto r = VerifyTdxQuote(quote, *collateral, PhalaOptions());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Find("tcb")->value, "UpToDate");
  EXPECT_EQ(r->Find("pck_crl")->value, "ok,not-revoked");
  EXPECT_EQ(r->Find("root_crl")->value, "ok");
  EXPECT_EQ(r->Find("qe_identity")->value, "UpToDate");

  // An FMSPC with no files yields empty collateral, and bad keys are refused.
  auto empty = LoadCollateralFromDirectory(dir, {"00806f050000", "processor"});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->tcb_info_json.empty());
  EXPECT_FALSE(LoadCollateralFromDirectory(dir, {"../../etc/x", "platform"}).ok());
  EXPECT_FALSE(LoadCollateralFromDirectory(dir, {"b0c06f000000", "other"}).ok());
}

}  // namespace
}  // namespace pv::attest::tdx
