// Verification of quotes signed by a synthetic Intel-shaped PKI (tests/attest/tdx/test_pki.h):
// every check passing, then one failure per check (revoked PCK, revoked CA, expired collateral
// and certificates, tampered collateral bytes, broken AK binding, unpinned root) and the QVL
// TCB status convergence cases.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "attest/tdx/tdx_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/attest/tdx/test_pki.h"

namespace pv::attest::tdx {
namespace {

using testing::HasSubstr;
using testing::StartsWith;
using namespace testing_pki;  // NOLINT: test-only factory names

constexpr std::array<uint8_t, 16> kPckComps{5, 5, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr std::array<uint8_t, 16> kTdxComps{0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr std::array<uint8_t, 16> kZero{};

std::string ModuleIdentities(const std::string& id, const std::string& up_to_date_status,
                             const std::string& old_status) {
  return absl::StrCat("[",
                      pv::attest::simsp::intel::TdxModuleIdentity(
                          id, std::string(96, '0'),
                          {{3, "2025-06-01T00:00:00Z", up_to_date_status, {}},
                           {0, "2024-01-01T00:00:00Z", old_status, {"INTEL-SA-00002"}}}),
                      "]");
}

std::string DefaultLevels(const std::string& top_status = "UpToDate") {
  return PlatformLevel(kPckComps, 13, kTdxComps, top_status) + "," +
         PlatformLevel(kZero, 0, kZero, "OutOfDate", {"INTEL-SA-00001"});
}

class TdxSyntheticTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new TestPki(); }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  TdxCollateral FullCollateral(const TestPki& pki, const std::string& tcb_body,
                               const std::string& qe_body) {
    TdxCollateral c;
    c.tcb_info_json = pki.SignTcbInfo(tcb_body);
    c.tcb_info_issuer_chain_pem = pki.TcbSigningChainPem();
    c.qe_identity_json = pki.SignQeIdentity(qe_body);
    c.pck_crl = pki.PckCrlDer(false);
    c.root_ca_crl = pki.RootCrlDer(false);
    return c;
  }
  TdxCollateral Good() {
    return FullCollateral(*pki_, TcbInfoBody("90C06F000000", DefaultLevels(), Modules()),
                          QeIdentityBody({{8, "UpToDate"}, {0, "OutOfDate"}}));
  }
  static std::string Modules() { return ModuleIdentities("TDX_01", "UpToDate", "OutOfDate"); }

  TdxVerifyOptions Options() {
    TdxVerifyOptions o;
    o.now = absl::FromTimeT(kNow);
    o.root_certificate = pki_->RootPem();
    o.allow_unpinned_root = true;
    return o;
  }

  VerificationReport Run(const std::string& quote, const TdxCollateral& c,
                         const TdxVerifyOptions& o) {
    auto r = verifier_.Verify(quote, c, o);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : VerificationReport{};
  }
  static std::string Value(const VerificationReport& r, const std::string& name) {
    const CheckOutcome* c = r.Find(name);
    return c ? c->value : "<missing>";
  }
  static std::string Field(const VerificationReport& r, const std::string& name) {
    for (const auto& [k, v] : r.fields) {
      if (k == name) return v;
    }
    return "<missing>";
  }

  static TestPki* pki_;
  TdxVerifier verifier_;
};

TestPki* TdxSyntheticTest::pki_ = nullptr;

TEST_F(TdxSyntheticTest, EveryCheckPassesWithFullCollateralAndAllowedRoot) {
  VerificationReport r = Run(pki_->MakeQuote({}), Good(), Options());
  for (const auto& c : r.checks) EXPECT_TRUE(c.passed) << c.name << "=" << c.value;
  EXPECT_EQ(Value(r, "quote_sig"), "ok");
  EXPECT_EQ(Value(r, "qe_report_sig"), "ok");
  EXPECT_EQ(Value(r, "ak_binding"), "ok");
  EXPECT_EQ(Value(r, "pck_chain"), "ok");
  EXPECT_EQ(Value(r, "pck_crl"), "ok,not-revoked");
  EXPECT_EQ(Value(r, "root_crl"), "ok");
  EXPECT_EQ(Value(r, "collateral_sigs"), "ok");
  EXPECT_EQ(Value(r, "qe_identity"), "UpToDate");
  EXPECT_EQ(Value(r, "tcb"), "UpToDate");
  EXPECT_EQ(Value(r, "advisories"), "[]");
  EXPECT_TRUE(r.Accepted());
  EXPECT_EQ(Field(r, "ROOT_PINNED"), "false");
  EXPECT_EQ(Field(r, "PCK.FMSPC"), "90c06f000000");
  EXPECT_EQ(Field(r, "PCK.PCESVN"), "13");
  EXPECT_EQ(Field(r, "TD_ATTRIBUTES.DEBUG"), "false");
}

TEST_F(TdxSyntheticTest, UnpinnedRootIsRefusedWithoutTheAllowFlag) {
  TdxVerifyOptions o = Options();
  o.allow_unpinned_root = false;
  VerificationReport r = Run(pki_->MakeQuote({}), Good(), o);
  EXPECT_THAT(Value(r, "pck_chain"), StartsWith("fail:root-not-pinned sha256="));
  EXPECT_THAT(Value(r, "collateral_sigs"), StartsWith("fail:"));
  EXPECT_THAT(Value(r, "tcb"), StartsWith("fail:"));
  EXPECT_FALSE(r.Accepted());
  // The signatures themselves are still checked and reported.
  EXPECT_EQ(Value(r, "quote_sig"), "ok");
}

TEST_F(TdxSyntheticTest, UnpinnedRootFromTheQuoteIsRefusedToo) {
  TdxVerifyOptions o = Options();
  o.allow_unpinned_root = false;
  o.root_certificate.clear();  // use the root embedded in the quote's chain
  VerificationReport r = Run(pki_->MakeQuote({}), Good(), o);
  EXPECT_THAT(Value(r, "pck_chain"), StartsWith("fail:root-not-pinned"));
}

TEST_F(TdxSyntheticTest, ChainToADifferentRootFails) {
  TestPki other;
  TdxVerifyOptions o = Options();
  o.root_certificate = other.RootPem();
  VerificationReport r = Run(pki_->MakeQuote({}), Good(), o);
  // The quote carries its own root, which is not the trusted one (QVL: chain untrusted).
  EXPECT_THAT(Value(r, "pck_chain"), StartsWith("fail:root-untrusted"));
}

TEST_F(TdxSyntheticTest, PckRevokedByThePckCrl) {
  TdxCollateral c = Good();
  c.pck_crl = pki_->PckCrlDer(/*revoke_pck=*/true);
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_THAT(Value(r, "pck_crl"), StartsWith("fail:revoked PCK certificate"));
  EXPECT_THAT(Value(r, "pck_crl"), HasSubstr("serial=1234"));
  EXPECT_FALSE(r.Find("pck_crl")->passed);
  EXPECT_FALSE(r.Accepted());
}

TEST_F(TdxSyntheticTest, PckCaRevokedByTheRootCrl) {
  TdxCollateral c = Good();
  c.root_ca_crl = pki_->RootCrlDer(/*revoke_pck_ca=*/true);
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_THAT(Value(r, "root_crl"), StartsWith("fail:revoked PCK CA"));
}

TEST_F(TdxSyntheticTest, CrlSignedByTheWrongIssuerFails) {
  TdxCollateral c = Good();
  c.pck_crl = pki_->RootCrlDer(false);  // issued by the root, not the PCK CA
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_THAT(Value(r, "pck_crl"), StartsWith("fail:invalid-crl PCK CRL: issuer"));
}

TEST_F(TdxSyntheticTest, CollateralAfterNextUpdateFails) {
  TdxVerifyOptions o = Options();
  o.now = absl::FromTimeT(kCollateralNext + 3600);
  VerificationReport r = Run(pki_->MakeQuote({}), Good(), o);
  EXPECT_THAT(Value(r, "collateral_sigs"), StartsWith("fail:untrusted TCB info not valid at"));
  EXPECT_THAT(Value(r, "collateral_sigs"), HasSubstr("nextUpdate 2026-02-01T00:00:00Z"));
  EXPECT_EQ(Value(r, "tcb"), "fail:collateral-untrusted");
  EXPECT_THAT(Value(r, "pck_crl"), HasSubstr("not valid at"));
}

TEST_F(TdxSyntheticTest, CollateralBeforeIssueDateFails) {
  TdxVerifyOptions o = Options();
  o.now = absl::FromTimeT(kCollateralIssue - 3600);
  VerificationReport r = Run(pki_->MakeQuote({}), Good(), o);
  EXPECT_THAT(Value(r, "collateral_sigs"), HasSubstr("issueDate 2026-01-01T00:00:00Z"));
}

TEST_F(TdxSyntheticTest, ExpiredQeIdentityFailsCollateral) {
  TdxCollateral c = Good();
  c.qe_identity_json = pki_->SignQeIdentity(
      QeIdentityBody({{8, "UpToDate"}}, "", kCollateralIssue - 86400 * 40, kNow - 86400));
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_THAT(Value(r, "collateral_sigs"), StartsWith("fail:untrusted QE identity not valid"));
  EXPECT_EQ(Value(r, "qe_identity"), "fail:collateral-untrusted");
}

TEST_F(TdxSyntheticTest, CollateralSignatureCoversTheExactMemberBytes) {
  const std::string body = TcbInfoBody("90C06F000000", DefaultLevels(), Modules());
  const std::string sig = pki_->TcbSignHex(body);
  TdxCollateral c = Good();
  // Members in another order, extra whitespace outside the member: still the same bytes.
  c.tcb_info_json = absl::StrCat("{ \"signature\" : \"", sig, "\" ,\n \"tcbInfo\" : ", body, " }");
  EXPECT_EQ(Value(Run(pki_->MakeQuote({}), c, Options()), "collateral_sigs"), "ok");
  // Semantically identical JSON with one extra space inside the member: signature fails.
  std::string spaced = body;
  spaced.insert(1, " ");
  c.tcb_info_json = absl::StrCat("{\"tcbInfo\":", spaced, ",\"signature\":\"", sig, "\"}");
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_THAT(Value(r, "collateral_sigs"), HasSubstr("TCB info signature: ECDSA-P256 signature"));
  EXPECT_EQ(Value(r, "tcb"), "fail:collateral-untrusted");
}

TEST_F(TdxSyntheticTest, CollateralSignedByAnotherKeyFails) {
  TestPki other;
  TdxCollateral c = Good();
  c.tcb_info_json = other.SignTcbInfo(TcbInfoBody("90C06F000000", DefaultLevels(), Modules()));
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_THAT(Value(r, "collateral_sigs"), HasSubstr("does not verify"));
}

TEST_F(TdxSyntheticTest, CollateralChainNotUnderTheTrustAnchorFails) {
  TestPki other;
  TdxCollateral c = Good();
  c.tcb_info_json = other.SignTcbInfo(TcbInfoBody("90C06F000000", DefaultLevels(), Modules()));
  c.tcb_info_issuer_chain_pem = other.TcbSigningChainPem();
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_THAT(Value(r, "collateral_sigs"), HasSubstr("TCB info signing chain"));
}

TEST_F(TdxSyntheticTest, ExpiredPckLeafFailsTheChain) {
  TestPki expired(PckTcb(), kNow - 86400);
  TdxVerifyOptions o = Options();
  o.root_certificate = expired.RootPem();
  VerificationReport r = Run(expired.MakeQuote({}), TdxCollateral{}, o);
  EXPECT_THAT(Value(r, "pck_chain"), HasSubstr("certificate has expired"));
  EXPECT_THAT(Value(r, "pck_chain"), HasSubstr("Intel SGX PCK Certificate"));
  // The signature itself is fine: the QE report check is independent of validity times.
  EXPECT_EQ(Value(r, "qe_report_sig"), "ok");
}

TEST_F(TdxSyntheticTest, NonZeroBindingPaddingFailsAkBinding) {
  QuoteSpec spec;
  spec.corrupt_binding_padding = true;
  VerificationReport r = Run(pki_->MakeQuote(spec), Good(), Options());
  EXPECT_EQ(Value(r, "quote_sig"), "ok");
  EXPECT_EQ(Value(r, "qe_report_sig"), "ok");
  EXPECT_THAT(Value(r, "ak_binding"), StartsWith("fail:hash-mismatch QE_REPORT.REPORT_DATA seen="));
}

TEST_F(TdxSyntheticTest, MissingCollateralIsSkippedAndFailsUnlessAllowed) {
  TdxVerifyOptions o = Options();
  VerificationReport r = Run(pki_->MakeQuote({}), TdxCollateral{}, o);
  EXPECT_EQ(Value(r, "pck_chain"), "ok");
  EXPECT_EQ(Value(r, "pck_crl"), "skipped:no-pck-crl");
  EXPECT_EQ(Value(r, "root_crl"), "skipped:no-root-crl");
  EXPECT_EQ(Value(r, "collateral_sigs"), "skipped:no-collateral");
  EXPECT_EQ(Value(r, "qe_identity"), "skipped:no-qe-identity");
  EXPECT_EQ(Value(r, "tcb"), "skipped:no-tcb-info");
  EXPECT_FALSE(r.Find("pck_crl")->passed);
  EXPECT_FALSE(r.Accepted());

  o.allow_missing_crls = true;
  o.allow_missing_qe_identity = true;
  TdxCollateral c = Good();
  c.pck_crl.clear();
  c.root_ca_crl.clear();
  c.qe_identity_json.clear();
  r = Run(pki_->MakeQuote({}), c, o);
  EXPECT_TRUE(r.Find("pck_crl")->passed);
  EXPECT_TRUE(r.Find("qe_identity")->passed);
  EXPECT_EQ(Value(r, "tcb"), "UpToDate");
  EXPECT_TRUE(r.Accepted());
}

TEST_F(TdxSyntheticTest, QuoteVersion5WithTd15Body) {
  QuoteSpec spec;
  spec.version = 5;
  spec.body_type = 3;
  VerificationReport r = Run(pki_->MakeQuote(spec), Good(), Options());
  EXPECT_EQ(r.version, 5);
  EXPECT_EQ(Value(r, "quote_sig"), "ok");
  EXPECT_EQ(Value(r, "tcb"), "UpToDate");
  EXPECT_EQ(Field(r, "BODY_TYPE"), "3");
  EXPECT_EQ(Field(r, "TEE_TCB_SVN_2"), "03010500000000000000000000000000");
  EXPECT_EQ(Field(r, "MRSERVICETD").size(), 96u);
}

TEST_F(TdxSyntheticTest, QuoteVersion5WithTd10Body) {
  QuoteSpec spec;
  spec.version = 5;
  spec.body_type = 2;
  VerificationReport r = Run(pki_->MakeQuote(spec), Good(), Options());
  EXPECT_EQ(Value(r, "quote_sig"), "ok");
  EXPECT_EQ(Field(r, "MRSERVICETD"), "<missing>");
}

TEST_F(TdxSyntheticTest, DebugAttributeIsDecoded) {
  QuoteSpec spec;
  spec.td_attributes0 = 1;
  VerificationReport r = Run(pki_->MakeQuote(spec), Good(), Options());
  EXPECT_EQ(Field(r, "TD_ATTRIBUTES"), "0100000000000000");
  EXPECT_EQ(Field(r, "TD_ATTRIBUTES.DEBUG"), "true");
}

// --- TCB status evaluation (QVL semantics) -------------------------------------------------

TEST_F(TdxSyntheticTest, PlatformBelowTopLevelIsOutOfDateWithAdvisories) {
  PckTcb low;
  low.components[0] = 4;  // below the UpToDate level's comp01 = 5
  TestPki pki(low);
  TdxVerifyOptions o = Options();
  o.root_certificate = pki.RootPem();
  VerificationReport r =
      Run(pki.MakeQuote({}),
          FullCollateral(pki, TcbInfoBody("90C06F000000", DefaultLevels(), Modules()),
                         QeIdentityBody({{8, "UpToDate"}})),
          o);
  EXPECT_EQ(Value(r, "tcb"), "OutOfDate");
  EXPECT_FALSE(r.Find("tcb")->passed);
  EXPECT_EQ(Value(r, "advisories"), "[\"INTEL-SA-00001\"]");
  EXPECT_EQ(Field(r, "PLATFORM_TCB_STATUS"), "OutOfDate");
}

TEST_F(TdxSyntheticTest, PceSvnBelowLevelSelectsALowerLevel) {
  PckTcb low;
  low.pcesvn = 12;
  TestPki pki(low);
  TdxVerifyOptions o = Options();
  o.root_certificate = pki.RootPem();
  VerificationReport r =
      Run(pki.MakeQuote({}),
          FullCollateral(pki, TcbInfoBody("90C06F000000", DefaultLevels(), Modules()),
                         QeIdentityBody({{8, "UpToDate"}})),
          o);
  EXPECT_EQ(Value(r, "tcb"), "OutOfDate");
}

TEST_F(TdxSyntheticTest, ModuleOutOfDateConvergesConfigurationNeeded) {
  QuoteSpec spec;
  spec.tee_tcb_svn[0] = 2;  // module minor 2 < 3: TDX_01 level "OutOfDate"
  TdxCollateral c = FullCollateral(
      *pki_, TcbInfoBody("90C06F000000", DefaultLevels("ConfigurationNeeded"), Modules()),
      QeIdentityBody({{8, "UpToDate"}}));
  VerificationReport r = Run(pki_->MakeQuote(spec), c, Options());
  EXPECT_EQ(Value(r, "tcb"), "OutOfDateConfigurationNeeded");
  EXPECT_EQ(Field(r, "PLATFORM_TCB_STATUS"), "ConfigurationNeeded");
  EXPECT_EQ(Field(r, "TDX_MODULE_TCB_STATUS"), "OutOfDate");
  EXPECT_EQ(Value(r, "advisories"), "[\"INTEL-SA-00002\"]");
}

TEST_F(TdxSyntheticTest, ModuleOutOfDateTurnsUpToDateIntoOutOfDate) {
  QuoteSpec spec;
  spec.tee_tcb_svn[0] = 0;
  VerificationReport r = Run(pki_->MakeQuote(spec), Good(), Options());
  EXPECT_EQ(Value(r, "tcb"), "OutOfDate");
  EXPECT_EQ(Field(r, "TCB_DATE"), "2024-01-01T00:00:00Z");  // the earliest matched date
}

TEST_F(TdxSyntheticTest, ModuleRevokedWins) {
  QuoteSpec spec;
  spec.tee_tcb_svn[0] = 1;
  TdxCollateral c = FullCollateral(*pki_,
                                   TcbInfoBody("90C06F000000", DefaultLevels(),
                                               ModuleIdentities("TDX_01", "UpToDate", "Revoked")),
                                   QeIdentityBody({{8, "UpToDate"}}));
  EXPECT_EQ(Value(Run(pki_->MakeQuote(spec), c, Options()), "tcb"), "Revoked");
}

TEST_F(TdxSyntheticTest, SwHardeningNeededPassesTheCheck) {
  TdxCollateral c = FullCollateral(
      *pki_, TcbInfoBody("90C06F000000", DefaultLevels("SWHardeningNeeded"), Modules()),
      QeIdentityBody({{8, "UpToDate"}}));
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_EQ(Value(r, "tcb"), "SWHardeningNeeded");
  EXPECT_TRUE(r.Find("tcb")->passed);
}

TEST_F(TdxSyntheticTest, NoMatchingPlatformLevelIsTcbNotSupported) {
  std::array<uint8_t, 16> high = kPckComps;
  high[7] = 9;
  TdxCollateral c = FullCollateral(
      *pki_, TcbInfoBody("90C06F000000", PlatformLevel(high, 13, kTdxComps, "UpToDate"), Modules()),
      QeIdentityBody({{8, "UpToDate"}}));
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_EQ(Value(r, "tcb"), "TCB_NOT_SUPPORTED");
  EXPECT_FALSE(r.Find("tcb")->passed);
}

TEST_F(TdxSyntheticTest, TdxComponentBelowLevelIsNotMatched) {
  QuoteSpec spec;
  spec.tee_tcb_svn[2] = 4;  // TDX component 2 below the level's 5; the next level is OutOfDate
  VerificationReport r = Run(pki_->MakeQuote(spec), Good(), Options());
  EXPECT_EQ(Value(r, "tcb"), "OutOfDate");
}

TEST_F(TdxSyntheticTest, ModuleMajorZeroComparesAllTdxComponents) {
  QuoteSpec spec;
  spec.tee_tcb_svn = {3, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::array<uint8_t, 16> tdx = {4, 0, 5};  // component 0 (module minor) must be >= 4
  TdxCollateral c =
      FullCollateral(*pki_,
                     TcbInfoBody("90C06F000000",
                                 PlatformLevel(kPckComps, 13, tdx, "UpToDate") + "," +
                                     PlatformLevel(kPckComps, 13, kTdxComps, "OutOfDate"),
                                 Modules()),
                     QeIdentityBody({{8, "UpToDate"}}));
  VerificationReport r = Run(pki_->MakeQuote(spec), c, Options());
  EXPECT_EQ(Value(r, "tcb"), "OutOfDate");
  EXPECT_EQ(Field(r, "TDX_MODULE_TCB_STATUS"), "");
}

TEST_F(TdxSyntheticTest, MissingModuleIdentityIsAMismatch) {
  QuoteSpec spec;
  spec.tee_tcb_svn[1] = 2;  // needs TDX_02
  VerificationReport r = Run(pki_->MakeQuote(spec), Good(), Options());
  EXPECT_THAT(Value(r, "tcb"),
              StartsWith("fail:tdx-module-mismatch no tdxModuleIdentities entry TDX_02"));
}

TEST_F(TdxSyntheticTest, FmspcMismatchNamesBothValues) {
  TdxCollateral c = FullCollateral(*pki_, TcbInfoBody("00806F050000", DefaultLevels(), Modules()),
                                   QeIdentityBody({{8, "UpToDate"}}));
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_EQ(Value(r, "tcb"), "fail:fmspc-mismatch seen=90c06f000000 expected=00806f050000");
}

TEST_F(TdxSyntheticTest, QeOutOfDateConvergesIntoTcb) {
  QuoteSpec spec;
  spec.qe_isvsvn = 5;
  VerificationReport r = Run(pki_->MakeQuote(spec), Good(), Options());
  EXPECT_EQ(Value(r, "qe_identity"), "OutOfDate");
  EXPECT_EQ(Value(r, "tcb"), "OutOfDate");
}

TEST_F(TdxSyntheticTest, QeMrSignerMismatchFailsQeIdentityAndTcb) {
  TdxCollateral c = FullCollateral(*pki_, TcbInfoBody("90C06F000000", DefaultLevels(), Modules()),
                                   QeIdentityBody({{8, "UpToDate"}}, std::string(64, 'a')));
  VerificationReport r = Run(pki_->MakeQuote({}), c, Options());
  EXPECT_THAT(Value(r, "qe_identity"), StartsWith("fail:mrsigner-mismatch seen=3c3c"));
  EXPECT_EQ(Value(r, "tcb"), "fail:qe-identity-mismatch");
}

TEST_F(TdxSyntheticTest, QeIsvProdIdMismatch) {
  QuoteSpec spec;
  spec.qe_isvprodid = 1;
  VerificationReport r = Run(pki_->MakeQuote(spec), Good(), Options());
  EXPECT_EQ(Value(r, "qe_identity"), "fail:isvprodid-mismatch seen=1 expected=2");
}

TEST_F(TdxSyntheticTest, CachedResultsStillHonourTheVerificationTime) {
  const std::string quote = pki_->MakeQuote({});
  TdxCollateral c = Good();
  EXPECT_EQ(Value(Run(quote, c, Options()), "collateral_sigs"), "ok");
  TdxVerifyOptions later = Options();
  later.now = absl::FromTimeT(kCollateralNext + 1);
  EXPECT_THAT(Value(Run(quote, c, later), "collateral_sigs"), StartsWith("fail:"));
  TdxVerifyOptions after_certs = Options();
  after_certs.now = absl::FromTimeT(2208988800 + 10);  // after every certificate expired
  EXPECT_THAT(Value(Run(quote, c, after_certs), "pck_chain"), HasSubstr("expired"));
  EXPECT_EQ(Value(Run(quote, c, Options()), "pck_chain"), "ok");
}

TEST_F(TdxSyntheticTest, OneVerifierSharedByThreadsGivesTheSameResults) {
  // Two platforms, so threads hit and fill different cache entries concurrently.
  TestPki other;
  const std::string quotes[2] = {pki_->MakeQuote({}), other.MakeQuote({})};
  const TdxCollateral collateral[2] = {
      Good(), FullCollateral(other, TcbInfoBody("90C06F000000", DefaultLevels(), Modules()),
                             QeIdentityBody({{8, "UpToDate"}}))};
  TdxVerifyOptions options[2] = {Options(), Options()};
  options[1].root_certificate = other.RootPem();
  std::atomic<int> accepted{0}, rejected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const int k = (t + i) % 2;
        auto r = verifier_.Verify(quotes[k], collateral[k], options[k]);
        (r.ok() && r->Accepted() ? accepted : rejected)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 80);
  EXPECT_EQ(rejected.load(), 0);
  // Mixing the platforms' collateral must not be served from the other's cache entries.
  auto crossed = verifier_.Verify(quotes[0], collateral[1], options[0]);
  ASSERT_TRUE(crossed.ok());
  EXPECT_THAT(Value(*crossed, "collateral_sigs"), StartsWith("fail:"));
  EXPECT_THAT(Value(*crossed, "pck_crl"), StartsWith("fail:"));
}

TEST_F(TdxSyntheticTest, UnsetTimeIsAnError) {
  TdxVerifyOptions o = Options();
  o.now = absl::InfinitePast();
  EXPECT_FALSE(verifier_.Verify(pki_->MakeQuote({}), Good(), o).ok());
}

}  // namespace
}  // namespace pv::attest::tdx
