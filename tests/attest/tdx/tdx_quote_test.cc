// Quote parsing and mutation tests on real quotes: decoded fields cross-checked against
// trustee's expected claims, a flipped bit in each field class (header, body, quote signature,
// attestation key, QE report, QE report signature, QE auth data, certification data), every
// truncation, trailing garbage, and the file loaders for hex quotes.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "absl/time/time.h"

#include "attest/common/openssl_ptr.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/openssl_util.h"
#include "attest/tdx/quote.h"
#include "attest/tdx/tdx_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/attest/tdx/test_files.h"

namespace pv::attest::tdx {
namespace {

using testing::HasSubstr;
using testing::StartsWith;

std::string Field(const VerificationReport& r, const std::string& name) {
  for (const auto& [k, v] : r.fields) {
    if (k == name) return v;
  }
  return "<missing>";
}
std::string Value(const VerificationReport& r, const std::string& name) {
  const CheckOutcome* c = r.Find(name);
  return c ? c->value : "<missing>";
}

// tdx-spr-v4-gtg from the manifest: a real v4 quote with full collateral at 2023-07-01.
class RealQuoteTest : public testing::Test {
 protected:
  void SetUp() override {
    quote_ = ReadVector("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
    ASSERT_FALSE(quote_.empty());
    collateral_.tcb_info_json = ReadVector("tdx/go-tdx-guest/sample_tcbInfo_response");
    collateral_.tcb_info_issuer_chain_pem = ReadVector("tdx/go-tdx-guest/tcbInfoIssuerChain.pem");
    collateral_.qe_identity_json = ReadVector("tdx/go-tdx-guest/sample_qeIdentity_response");
    collateral_.pck_crl = ReadVector("tdx/go-tdx-guest/pckcrl");
    collateral_.root_ca_crl = ReadVector("tdx/go-tdx-guest/rootcrl.der");
    options_.now = absl::FromCivil(absl::CivilSecond(2023, 7, 1, 1, 0, 0), absl::UTCTimeZone());
    options_.root_certificate = ReadVector("tdx/go-tdx-guest/trusted_root.pem");
  }
  VerificationReport Run(const std::string& quote) {
    auto r = verifier_.Verify(quote, collateral_, options_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : VerificationReport{};
  }
  // Offsets of the field classes in this v4 quote.
  size_t QeReportOffset() const { return 632 + 4 + 64 + 64 + 6; }

  std::string quote_;
  TdxCollateral collateral_;
  TdxVerifyOptions options_;
  TdxVerifier verifier_;
};

TEST_F(RealQuoteTest, BaselineAllSignatureChecksPass) {
  VerificationReport r = Run(quote_);
  for (const char* check :
       {"quote_sig", "qe_report_sig", "ak_binding", "pck_chain", "collateral_sigs"}) {
    EXPECT_EQ(Value(r, check), "ok") << check;
  }
  EXPECT_EQ(Value(r, "pck_crl"), "ok,not-revoked");
  EXPECT_EQ(Value(r, "root_crl"), "ok");
  EXPECT_EQ(Field(r, "ROOT_PINNED"), "true");
}

struct Flip {
  const char* field_class;
  size_t offset;  // relative to the quote start (QE-relative ones are added in the test)
  bool qe_relative;
  std::vector<const char*> must_fail;
  std::vector<const char*> must_pass;
};

TEST_F(RealQuoteTest, FlippedBitInEachFieldClassFailsExactlyItsChecks) {
  const size_t qe = QeReportOffset();
  ParsedQuote parsed = *ParseQuote(quote_);
  const size_t auth_off = qe + 384 + 64 + 2;
  ASSERT_GT(parsed.qe_auth_data.size(), 0u);
  const size_t pem_off = auth_off + parsed.qe_auth_data.size() + 6;
  const std::vector<Flip> flips = {
      {"header.user_data", 30, false, {"quote_sig"}, {"qe_report_sig", "ak_binding", "pck_chain"}},
      {"header.qe_vendor_id", 14, false, {"quote_sig"}, {"qe_report_sig", "ak_binding"}},
      {"body.MRTD", 48 + 136 + 5, false, {"quote_sig"}, {"qe_report_sig", "ak_binding"}},
      {"body.REPORT_DATA", 48 + 520, false, {"quote_sig"}, {"qe_report_sig", "pck_chain"}},
      {"body.RTMR3", 48 + 328 + 3 * 48, false, {"quote_sig"}, {"qe_report_sig"}},
      {"signature.r", 636 + 3, false, {"quote_sig"}, {"qe_report_sig", "ak_binding"}},
      {"signature.s", 636 + 40, false, {"quote_sig"}, {"qe_report_sig", "ak_binding"}},
      {"attestation_key", 700 + 10, false, {"quote_sig", "ak_binding"}, {"qe_report_sig"}},
      {"qe_report.MRENCLAVE", qe + 64 + 1, false, {"qe_report_sig"}, {"quote_sig", "ak_binding"}},
      {"qe_report.ISVSVN", qe + 258, false, {"qe_report_sig"}, {"quote_sig", "ak_binding"}},
      {"qe_report.REPORT_DATA", qe + 320, false, {"qe_report_sig", "ak_binding"}, {"quote_sig"}},
      {"qe_report_signature", qe + 384 + 7, false, {"qe_report_sig"}, {"quote_sig", "ak_binding"}},
      {"qe_auth_data", auth_off + 1, false, {"ak_binding"}, {"quote_sig", "qe_report_sig"}},
      {"certification_data.pem_body", pem_off + 200, false, {"pck_chain"}, {"quote_sig"}},
  };
  for (const Flip& f : flips) {
    SCOPED_TRACE(f.field_class);
    std::string mutated = quote_;
    ASSERT_LT(f.offset, mutated.size());
    // Flip a bit that keeps PEM base64 text valid base64 where it matters ('A' <-> 'C' etc.).
    mutated[f.offset] = static_cast<char>(mutated[f.offset] ^ 0x02);
    auto r = verifier_.Verify(mutated, collateral_, options_);
    ASSERT_TRUE(r.ok()) << r.status();
    for (const char* check : f.must_fail) {
      EXPECT_THAT(Value(*r, check), StartsWith("fail:")) << check;
      EXPECT_FALSE(r->Find(check)->passed) << check;
    }
    for (const char* check : f.must_pass) EXPECT_EQ(Value(*r, check), "ok") << check;
    EXPECT_FALSE(r->Accepted());
  }
}

TEST_F(RealQuoteTest, HeaderFieldsThatSelectTheFormatAreParseErrors) {
  struct Case {
    size_t offset;
    const char* message;
  };
  for (const Case& c :
       {Case{0, "header.version"}, Case{2, "header.att_key_type"}, Case{4, "header.tee_type"}}) {
    std::string mutated = quote_;
    mutated[c.offset] ^= 0x10;
    auto r = verifier_.Verify(mutated, collateral_, options_);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message));
  }
}

TEST_F(RealQuoteTest, EveryTruncationIsAParseErrorNamingTheField) {
  ParsedQuote parsed = *ParseQuote(quote_);
  for (size_t len = 0; len < parsed.consumed; ++len) {
    auto q = ParseQuote(absl::string_view(quote_.data(), len));
    ASSERT_FALSE(q.ok()) << "length " << len;
    ASSERT_THAT(std::string(q.status().message()), HasSubstr("truncated")) << "length " << len;
  }
  auto r = verifier_.Verify(quote_.substr(0, 1000), collateral_, options_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("signature_data at offset 636"));
}

// The length rule (attest/common/evidence_length.h). This quote itself ends in go-tdx-guest's
// "extra bytes(only for testing purpose)", which the default already refuses.
TEST_F(RealQuoteTest, TrailingBytesFollowTheLengthRule) {
  auto parsed = ParseQuote(quote_);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->trailing, 39u);
  EXPECT_FALSE(parsed->trailing_all_zero);
  EXPECT_THAT(Value(Run(quote_), "length"), StartsWith("fail:trailing-data 39 byte(s)"));
  const std::string exact = quote_.substr(0, parsed->consumed);
  VerificationReport base = Run(exact);
  EXPECT_EQ(Value(base, "length"), "ok");
  EXPECT_EQ(Field(base, "TRAILING_BYTES"), "0");
  VerificationReport padded = Run(exact + std::string(3000, '\0'));
  EXPECT_EQ(Value(padded, "length"), "ok");
  EXPECT_EQ(Field(padded, "TRAILING_BYTES"), "3000");
  ASSERT_EQ(base.checks.size(), padded.checks.size());
  for (size_t i = 0; i < base.checks.size(); ++i) {
    EXPECT_EQ(base.checks[i].value, padded.checks[i].value);
  }
  options_.strict_length = true;
  EXPECT_EQ(Value(Run(exact), "length"), "ok");
  EXPECT_THAT(Value(Run(exact + std::string(3000, '\0')), "length"),
              StartsWith("fail:trailing-bytes 3000"));
}

// A signature_data_length that runs past the certification data into padding: the declared
// size covers unused bytes. Verifies by default (the signed bytes are unchanged), fails strict.
TEST_F(RealQuoteTest, SignatureDataSlackFailsStrictLength) {
  auto parsed = ParseQuote(quote_);
  ASSERT_TRUE(parsed.ok());
  std::string slack = quote_.substr(0, parsed->consumed) + std::string(16, '\0');
  const size_t len_at = parsed->signed_data.size();
  const uint32_t len = ReadLe32(slack, len_at) + 16;
  for (int i = 0; i < 4; ++i) slack[len_at + i] = static_cast<char>(len >> (8 * i));
  auto reparsed = ParseQuote(slack);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(reparsed->signature_data_slack, 16u);
  EXPECT_EQ(reparsed->trailing, 0u);
  EXPECT_EQ(Value(Run(slack), "length"), "ok");
  EXPECT_EQ(Value(Run(slack), "quote_sig"), "ok");
  options_.strict_length = true;
  EXPECT_THAT(Value(Run(slack), "length"), StartsWith("fail:signature-data-slack 16"));
}

// (r, n - s) verifies as well as (r, s); the quote reports which one is low-S.
TEST_F(RealQuoteTest, MalleatedQuoteSignatureVerifiesAndIsReported) {
  static constexpr uint8_t kP256Order[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
                                             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
                                             0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
  auto parsed = ParseQuote(quote_);
  ASSERT_TRUE(parsed.ok());
  std::string malleated = quote_;
  const size_t s_at = static_cast<size_t>(parsed->signature.data() - quote_.data()) + 32;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    const int d = kP256Order[i] - static_cast<uint8_t>(malleated[s_at + i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    malleated[s_at + i] = static_cast<char>(d + 256 * borrow);
  }
  VerificationReport a = Run(quote_), b = Run(malleated);
  EXPECT_EQ(Value(a, "quote_sig"), "ok");
  EXPECT_EQ(Value(b, "quote_sig"), "ok");
  EXPECT_NE(Field(a, "QUOTE_SIGNATURE.LOW_S"), Field(b, "QUOTE_SIGNATURE.LOW_S"));
  EXPECT_EQ(Field(a, "QE_REPORT_SIGNATURE.LOW_S"), Field(b, "QE_REPORT_SIGNATURE.LOW_S"));
}

// --- The root embedded in the quote's PCK chain (QVL parity) -------------------------------

std::vector<std::string> PemBlocks(absl::string_view pem) {
  std::vector<std::string> out;
  static constexpr absl::string_view kEnd = "-----END CERTIFICATE-----";
  size_t pos = 0;
  while (true) {
    const size_t begin = pem.find("-----BEGIN CERTIFICATE-----", pos);
    if (begin == absl::string_view::npos) break;
    const size_t end = pem.find(kEnd, begin);
    if (end == absl::string_view::npos) break;
    out.emplace_back(pem.substr(begin, end + kEnd.size() - begin));
    out.back() += "\n";
    pos = end + kEnd.size();
  }
  return out;
}

// The quote with its PCK certification data replaced by `pem` (the three enclosing sizes
// adjusted; the signed header and body, the QE report and its signature are untouched).
std::string WithPckChain(const std::string& quote, const std::string& pem) {
  auto q = ParseQuote(quote);
  EXPECT_TRUE(q.ok());
  const size_t chain_at = static_cast<size_t>(q->pck_chain_pem.data() - quote.data());
  const size_t cert_size_at = static_cast<size_t>(q->qe_report.data() - quote.data()) - 4;
  const size_t sig_len_at = q->signed_data.size();
  const int64_t delta = static_cast<int64_t>(pem.size()) - q->pck_chain_pem.size();
  std::string out =
      quote.substr(0, chain_at) + pem + quote.substr(chain_at + q->pck_chain_pem.size());
  for (size_t at : {chain_at - 4, cert_size_at, sig_len_at}) {
    const uint32_t v = static_cast<uint32_t>(ReadLe32(out, at) + delta);
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>(v >> (8 * i));
  }
  return out;
}

X509Ptr FromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string ToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// A self-signed P-256 certificate with the real root's subject: "Intel SGX Root CA" forged.
std::string ForgedRootPem(X509* real_root) {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_set_subject_name(cert.get(), X509_get_subject_name(real_root));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(real_root));
  X509_set1_notBefore(cert.get(), X509_get0_notBefore(real_root));
  X509_set1_notAfter(cert.get(), X509_get0_notAfter(real_root));
  X509_set_pubkey(cert.get(), key.get());
  X509_sign(cert.get(), key.get(), EVP_sha256());
  return ToPem(cert.get());
}

class EmbeddedRootTest : public RealQuoteTest {
 protected:
  void SetUp() override {
    RealQuoteTest::SetUp();
    auto q = ParseQuote(quote_);
    ASSERT_TRUE(q.ok());
    blocks_ = PemBlocks(q->pck_chain_pem);
    ASSERT_EQ(blocks_.size(), 3u);  // leaf, PCK CA, root
  }
  std::string PckChainWithRoot(const std::string& root_pem) {
    return Value(Run(WithPckChain(quote_, blocks_[0] + blocks_[1] + root_pem)), "pck_chain");
  }
  std::vector<std::string> blocks_;
};

TEST_F(EmbeddedRootTest, TheGenuineRootStillVerifies) {
  EXPECT_EQ(PckChainWithRoot(blocks_[2]), "ok");
}

TEST_F(EmbeddedRootTest, MissingRootIsRefusedEvenWithAnExplicitRoot) {
  VerificationReport r = Run(WithPckChain(quote_, blocks_[0] + blocks_[1]));
  EXPECT_THAT(Value(r, "pck_chain"), StartsWith("fail:root-missing"));
  EXPECT_EQ(Value(r, "qe_report_sig"), "ok");
  EXPECT_FALSE(r.Accepted());
}

TEST_F(EmbeddedRootTest, CorruptedRootSignatureIsRefused) {
  X509Ptr root = FromPem(blocks_[2]);
  ASSERT_NE(root, nullptr);
  std::string der = DerOf(root.get());
  der[der.size() - 3] ^= 0x01;  // inside the ECDSA signature's s
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr corrupted(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_NE(corrupted, nullptr);
  EXPECT_THAT(PckChainWithRoot(ToPem(corrupted.get())), StartsWith("fail:root-bad-signature"));
}

TEST_F(EmbeddedRootTest, ForgedIntelRootIsUntrusted) {
  X509Ptr root = FromPem(blocks_[2]);
  ASSERT_NE(root, nullptr);
  EXPECT_THAT(PckChainWithRoot(ForgedRootPem(root.get())), StartsWith("fail:root-untrusted"));
  // Anchored at the embedded root instead (no explicit root): the pin refuses it.
  options_.root_certificate.clear();
  EXPECT_THAT(Value(Run(WithPckChain(quote_, blocks_[0] + blocks_[1] + ForgedRootPem(root.get()))),
                    "pck_chain"),
              StartsWith("fail:root-not-pinned"));
}

TEST_F(EmbeddedRootTest, IntelTestRootIsUntrusted) {
  const std::string test_root = ReadVector("tdx/intel-qvl-sampleData/trustedRootCaCert.pem");
  ASSERT_FALSE(test_root.empty());
  EXPECT_THAT(PckChainWithRoot(test_root), StartsWith("fail:root-untrusted"));
}

// A chain that does not parse: the dependent checks name the chain problem.
TEST_F(EmbeddedRootTest, MalformedChainIsNamedByTheDependentChecks) {
  std::string broken = blocks_[0];
  broken[broken.size() / 2] = '*';  // not base64
  VerificationReport r = Run(WithPckChain(quote_, broken + blocks_[1] + blocks_[2]));
  EXPECT_THAT(Value(r, "pck_chain"), StartsWith("fail:malformed"));
  EXPECT_THAT(Value(r, "qe_report_sig"), StartsWith("fail:pck-chain-malformed"));
  EXPECT_THAT(Value(r, "collateral_sigs"),
              StartsWith("fail:pck-chain-untrusted no trusted root: pck_chain fail:malformed"));
}

TEST_F(RealQuoteTest, SignatureDataLengthBeyondTheQuoteIsRejected) {
  std::string mutated = quote_;
  mutated[632 + 2] = '\x10';  // signature data length += 0x100000
  auto q = ParseQuote(mutated);
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(std::string(q.status().message()), HasSubstr("signature_data"));
}

TEST(TdxQuoteFields, MatchTrusteeExpectedClaims) {
  const std::string quote = ReadVector("trustee/tdx/tdx_quote_4.dat");
  auto parsed = ParseQuote(quote);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto fields = DecodeQuoteFields(*parsed);
  auto get = [&](const std::string& n) {
    for (const auto& [k, v] : fields) {
      if (k == n) return v;
    }
    return std::string("<missing>");
  };
  nlohmann::json expected = nlohmann::json::parse(
      ReadVector("trustee/tdx/parse_tdx_claims_expected.json"), nullptr, false);
  ASSERT_TRUE(expected.is_object());
  const auto& body = expected["quote"]["body"];
  const std::vector<std::pair<std::string, std::string>> map = {
      {"MRCONFIGID", "mr_config_id"},
      {"MROWNER", "mr_owner"},
      {"MROWNERCONFIG", "mr_owner_config"},
      {"MRSEAM", "mr_seam"},
      {"MRTD", "mr_td"},
      {"MRSIGNERSEAM", "mrsigner_seam"},
      {"REPORT_DATA", "report_data"},
      {"RTMR0", "rtmr_0"},
      {"RTMR1", "rtmr_1"},
      {"RTMR2", "rtmr_2"},
      {"RTMR3", "rtmr_3"},
      {"SEAM_ATTRIBUTES", "seam_attributes"},
      {"TEE_TCB_SVN", "tcb_svn"},
      {"TD_ATTRIBUTES", "td_attributes"},
      {"XFAM", "xfam"}};
  for (const auto& [ours, theirs] : map) {
    EXPECT_EQ(get(ours), body[theirs].get<std::string>()) << ours;
  }
  EXPECT_EQ(get("USER_DATA"), expected["quote"]["header"]["user_data"].get<std::string>());
  EXPECT_EQ(get("QE_VENDOR_ID"), expected["quote"]["header"]["vendor_id"].get<std::string>());
  EXPECT_EQ(get("TD_ATTRIBUTES.DEBUG"), "true");
  EXPECT_EQ(get("VERSION"), "4");
  EXPECT_EQ(get("TEE_TYPE"), "00000081");
  EXPECT_EQ(get("TDX_MODULE_MAJOR"), "0");
  EXPECT_EQ(get("TDX_MODULE_MINOR"), "3");
}

TEST(TdxQuoteFields, V5QuoteHasTd15Fields) {
  const std::string quote = ReadVector("tdx/go-tdx-guest/quote_v5_sample.dat");
  auto parsed = ParseQuote(quote);  // views into `quote`
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->version, 5);
  EXPECT_EQ(parsed->body_type, 3);
  EXPECT_EQ(parsed->body.size(), kTdReportBody15Size);
  auto fields = DecodeQuoteFields(*parsed);
  std::vector<std::string> names;
  for (const auto& f : fields) names.push_back(f.first);
  EXPECT_THAT(names, testing::IsSupersetOf({"BODY_TYPE", "BODY_SIZE", "TEE_TCB_SVN_2",
                                            "MRSERVICETD", "QE_REPORT.MRSIGNER", "QE_AUTH_DATA"}));
}

TEST(TdxQuoteFields, UnknownV5BodyTypeIsRejected) {
  std::string quote = ReadVector("tdx/go-tdx-guest/quote_v5_sample.dat");
  quote[48] = 1;  // SGX enclave report body
  auto parsed = ParseQuote(quote);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("body_type (offset 48) = 1"));
}

// Intel's QVL sample data is synthetic: signed by a test root named "Intel SGX Root CA", with
// DER (not PEM) PCK certificate data in root-first order. It verifies only with the explicit
// allow-root flag; its TCB info carries out-of-range SVNs (65473) and is refused by name.
class IntelSampleDataTest : public testing::Test {
 protected:
  void SetUp() override {
    const std::string d = "tdx/intel-qvl-sampleData/tdx/";
    quote_ = ReadVector(d + "quote.dat");
    collateral_.tcb_info_json = ReadVector(d + "tcbInfo.json");
    collateral_.tcb_info_issuer_chain_pem = ReadVector(d + "tcbSignChain.pem");
    collateral_.qe_identity_json = ReadVector(d + "qeIdentity.json");
    collateral_.pck_crl = ReadVector(d + "intermediateCaCrl.der");
    collateral_.root_ca_crl = ReadVector(d + "rootCaCrl.der");
    options_.now = absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone());
    options_.root_certificate = ReadVector(d + "trustedRootCaCert.pem");
  }
  std::string quote_;
  TdxCollateral collateral_;
  TdxVerifyOptions options_;
};

TEST_F(IntelSampleDataTest, VerifiesOnlyWithTheAllowRootFlag) {
  auto refused = VerifyTdxQuote(quote_, collateral_, options_);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_THAT(Value(*refused, "pck_chain"), StartsWith("fail:root-not-pinned sha256=bf85a53f"));
  EXPECT_FALSE(refused->Accepted());

  options_.allow_unpinned_root = true;
  auto allowed = VerifyTdxQuote(quote_, collateral_, options_);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  for (const char* check : {"quote_sig", "qe_report_sig", "ak_binding", "pck_chain", "root_crl"}) {
    EXPECT_EQ(Value(*allowed, check), "ok") << check;
  }
  EXPECT_EQ(Value(*allowed, "pck_crl"), "ok,not-revoked");
  EXPECT_EQ(Field(*allowed, "PCK.CA"), "processor");
  EXPECT_EQ(Field(*allowed, "ROOT_PINNED"), "false");
  EXPECT_THAT(Value(*allowed, "collateral_sigs"),
              HasSubstr("field \"svn\" = 65473 out of range 0..255"));
}

TEST(TdxQuoteLoader, HexFilesDecodeToTheBinaryQuotes) {
  auto hex = LoadQuoteFile(VectorPath("tdx/phala-dcap-qvl/tdx-quote.hex"));
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ(*hex, ReadVector("tdx/phala-dcap-qvl/tdx-quote-hex.bin"));
  auto tappd = LoadQuoteFile(VectorPath("tdx/phala-dcap-qvl/quote-from-tappd.hex"));
  ASSERT_TRUE(tappd.ok()) << tappd.status();
  EXPECT_EQ(*tappd, ReadVector("tdx/phala-dcap-qvl/quote-from-tappd.bin"));
  auto bin = LoadQuoteFile(VectorPath("tdx/phala-dcap-qvl/tdx_quote"));
  ASSERT_TRUE(bin.ok());
  EXPECT_EQ(*bin, ReadVector("tdx/phala-dcap-qvl/tdx_quote"));
  EXPECT_FALSE(LoadQuoteFile(VectorPath("does-not-exist")).ok());
}

}  // namespace
}  // namespace pv::attest::tdx
