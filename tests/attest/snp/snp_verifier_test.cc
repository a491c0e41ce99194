// End-to-end SNP verification: real vectors with mutations (a bit flipped in each field class,
// wrong product chain, swapped VCEK/VLEK, times outside validity) and a synthetic hierarchy for
// what real data cannot give (expired ASK, wrong PSS parameters, TCB/CHIP_ID mismatches under
// valid signatures, unpinned roots, cache behaviour).
#include "attest/snp/snp_verifier.h"

#include <gtest/gtest.h>

#include <cstring>

#include "absl/strings/match.h"
#include "attest/common/cert_util.h"
#include "attest/snp/amd_crl.h"
#include "tests/attest/snp/amd_test_pki.h"
#include "tests/attest/snp/vectors.h"

namespace pv::attest::snp {
namespace {

using testing::ReadVector;

UnixTime T(const char* text) {
  return *ParseRfc3339(text);
}

std::string Value(const SnpVerification& v, const std::string& check) {
  const CheckOutcome* c = v.result.Find(check);
  return c ? c->value : "<missing>";
}

struct VectorCase {
  const char* report;
  const char* vek;
  const char* chain;
  const char* time;
};

const VectorCase kTurin = {"snp/openanolis-trustee/turin-report.bin",
                           "snp/openanolis-trustee/turin-vcek.der",
                           "snp/go-sev-guest/ask_ark_turin_vcek.pem", "2026-11-21T00:00:00Z"};
const VectorCase kMilan = {"snp/virtee-sev/report_milan.bin", "snp/virtee-sev/vcek_milan.der",
                           "snp/virtee-sev/cert_chain_milan", "2026-11-21T00:00:00Z"};
const VectorCase kVlek = {"trustee/snp/test-vlek-report.bin", "trustee/snp/test-vlek.der",
                          "snp/go-sev-guest/ask_ark_milan_vlek.pem", "2025-06-01T00:00:00Z"};

absl::StatusOr<SnpVerification> VerifyVector(const VectorCase& c, const Bytes* report = nullptr,
                                             const char* time = nullptr) {
  SnpVerifier verifier{TrustStore()};
  const Bytes r = report ? *report : ReadVector(c.report);
  return verifier.Verify(r, ReadVector(c.vek), ReadVector(c.chain), T(time ? time : c.time));
}

TEST(SnpVerifierVectorsTest, TurinAcceptedWithTurinLayoutAndEightByteHwid) {
  auto v = VerifyVector(kTurin);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->result.Accepted()) << ::testing::PrintToString(v->result.reasons);
  EXPECT_EQ(v->product, Product::kTurin);
  EXPECT_EQ(v->layout, TcbLayout::kTurin);
  EXPECT_EQ(Value(*v, "chip_id"), "match");
}

TEST(SnpVerifierVectorsTest, MilanV2ProductComesFromThePinnedRoot) {
  auto v = VerifyVector(kMilan);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->result.Accepted());
  EXPECT_EQ(v->product, Product::kMilan);  // v2 has no CPUID: the ARK pin decides
}

TEST(SnpVerifierVectorsTest, VlekPathChosenFromSigningKey) {
  auto v = VerifyVector(kVlek);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->result.Accepted()) << ::testing::PrintToString(v->result.reasons);
  EXPECT_EQ(Value(*v, "chip_id"), "n/a");
}

TEST(SnpVerifierVectorsTest, VlekExpiredAndNotYetValid) {
  auto late = VerifyVector(kVlek, nullptr, "2026-11-21T00:00:00Z");
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(Value(*late, "chain"), "fail:vlek-expired");
  auto early = VerifyVector(kVlek, nullptr, "2024-01-01T00:00:00Z");
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(Value(*early, "chain"), "fail:vlek-not-yet-valid");
  EXPECT_EQ(Value(*early, "signature"), "ok");  // the signature itself is fine
}

TEST(SnpVerifierVectorsTest, TurinVcekNotYetValidBeforeIssue) {
  auto v = VerifyVector(kTurin, nullptr, "2026-01-01T00:00:00Z");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "fail:vcek-not-yet-valid");
  EXPECT_FALSE(v->result.Accepted());
}

TEST(SnpVerifierVectorsTest, WrongProductChainIsUnknownIssuer) {
  SnpVerifier verifier{TrustStore()};
  auto v = verifier.Verify(
      ReadVector("snp/go-sev-guest/attestation.bin"), ReadVector("snp/go-sev-guest/vcek.testcer"),
      ReadVector("snp/go-sev-guest/ask_ark_turin_vcek.pem"), T("2026-11-21T00:00:00Z"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "fail:unknown-issuer");
}

TEST(SnpVerifierVectorsTest, VcekChainForVlekReportFails) {
  // A VLEK-signed report presented with a VCEK and the VCEK chain: the signature cannot verify
  // and the certificate is not of the kind the report names.
  SnpVerifier verifier{TrustStore()};
  auto v =
      verifier.Verify(ReadVector(kVlek.report), ReadVector("trustee/snp/test-vcek.der"),
                      ReadVector("snp/go-sev-guest/ask_ark_milan.pem"), T("2025-06-01T00:00:00Z"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(Value(*v, "signature"), "fail:bad-signature");
  EXPECT_EQ(Value(*v, "chain"), "fail:vek-kind-mismatch");
}

TEST(SnpVerifierVectorsTest, VlekForVcekReportFails) {
  SnpVerifier verifier{TrustStore()};
  auto v = verifier.Verify(ReadVector(kMilan.report), ReadVector(kVlek.vek),
                           ReadVector(kVlek.chain), T("2025-06-01T00:00:00Z"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(Value(*v, "signature"), "fail:bad-signature");
  EXPECT_EQ(Value(*v, "chain"), "fail:vek-kind-mismatch");
  EXPECT_EQ(Value(*v, "chip_id"), "fail:missing-hwid");
}

// The key kind is judged before validity: an expired VLEK offered for a VCEK-signed report is
// the wrong certificate, not an expired VCEK.
TEST(SnpVerifierVectorsTest, ExpiredVlekForVcekReportIsKindMismatch) {
  SnpVerifier verifier{TrustStore()};
  auto v = verifier.Verify(ReadVector(kMilan.report), ReadVector(kVlek.vek),
                           ReadVector(kVlek.chain), T("2026-11-21T00:00:00Z"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(Value(*v, "chain"), "fail:vek-kind-mismatch");
}

TEST(SnpVerifierVectorsTest, ChainWithoutArkNeedsTrustDirectory) {
  // Only the ASK is supplied: no root, until the pinned ARK is added to the trust store.
  auto chain = ParseCertificates(ReadVector(kMilan.chain), "chain");
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 2u);
  const std::string ask_pem = testing::CertToPem((*chain)[0].get());
  const Bytes ask(ask_pem.begin(), ask_pem.end());
  SnpVerifier bare{TrustStore()};
  auto v = bare.Verify(ReadVector(kMilan.report), ReadVector(kMilan.vek), ask, T(kMilan.time));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "fail:unknown-root");

  TrustStore trust;
  ASSERT_TRUE(trust.AddPinned(X509Ptr(X509_dup((*chain)[1].get())), "test").ok());
  SnpVerifier with_root(std::move(trust));
  v = with_root.Verify(ReadVector(kMilan.report), ReadVector(kMilan.vek), ask, T(kMilan.time));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "ok");
}

TEST(AmdChainFilesTest, EveryProductsAskAndAsvkIsSignedByItsArk) {
  const char* files[] = {"ask_ark_milan.pem",      "ask_ark_genoa.pem",
                         "ask_ark_turin_vcek.pem", "ask_ark_milan_vlek.pem",
                         "ask_ark_genoa_vlek.pem", "ask_ark_turin_vlek.pem"};
  std::vector<std::vector<X509Ptr>> chains;
  for (const char* file : files) {
    auto certs = ParseCertificates(ReadVector(std::string("snp/go-sev-guest/") + file), file);
    ASSERT_TRUE(certs.ok()) << file;
    ASSERT_EQ(certs->size(), 2u) << file;
    absl::Status s = VerifyAmdLink((*certs)[0].get(), (*certs)[1].get());
    EXPECT_TRUE(s.ok()) << file << ": " << s;
    EXPECT_TRUE(VerifyAmdLink((*certs)[1].get(), (*certs)[1].get()).ok()) << file << " ARK";
    chains.push_back(std::move(*certs));
  }
  // Milan's ASK against Genoa's ARK: refused (names differ).
  EXPECT_FALSE(VerifyAmdLink(chains[0][0].get(), chains[1][1].get()).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(VerifyAmdLink(chains[0][0].get(), chains[1][1].get())));
}

// A bit flipped in any signed field class breaks the signature; flips of fields the other checks
// read also show up there.
TEST(SnpVerifierVectorsTest, BitFlipInEachSignedFieldClassBreaksTheSignature) {
  struct Field {
    const char* name;
    size_t offset;
  };
  const Field fields[] = {
      {"GUEST_SVN", 0x004},     {"POLICY", 0x008},         {"FAMILY_ID", 0x010},
      {"IMAGE_ID", 0x020},      {"VMPL", 0x030},           {"CURRENT_TCB", 0x038},
      {"PLATFORM_INFO", 0x040}, {"SIGNER_INFO", 0x048},    {"REPORT_DATA", 0x050},
      {"MEASUREMENT", 0x090},   {"HOST_DATA", 0x0C0},      {"ID_KEY_DIGEST", 0x0E0},
      {"AUTHOR_KEY", 0x110},    {"REPORT_ID", 0x140},      {"REPORT_ID_MA", 0x160},
      {"REPORTED_TCB", 0x180},  {"CPUID", 0x189},          {"CHIP_ID", 0x1A0},
      {"COMMITTED_TCB", 0x1E0}, {"CURRENT_BUILD", 0x1E8},  {"LAUNCH_TCB", 0x1F0},
      {"LAUNCH_MIT", 0x1F8},    {"CURRENT_MIT", 0x200},    {"SIGNATURE_R", 0x2A0},
      {"SIGNATURE_S", 0x2E8},   {"SIGNATURE_R_TOP", 0x2E7}};
  const Bytes original = ReadVector(kTurin.report);
  for (const Field& f : fields) {
    Bytes m = original;
    // Bit 0 everywhere except POLICY (bit 0 is ABI_MINOR, fine too) and SIGNER_INFO, where bit
    // 0 is AUTHOR_KEY_EN (bits 2..4 would change the path).
    m[f.offset] ^= 0x01;
    auto v = VerifyVector(kTurin, &m);
    ASSERT_TRUE(v.ok()) << f.name << ": " << v.status();
    EXPECT_EQ(Value(*v, "signature"), "fail:bad-signature") << f.name;
    EXPECT_FALSE(v->result.Accepted()) << f.name;
  }
  Bytes m = original;
  m[0x180] ^= 0x01;  // REPORTED_TCB FMC
  auto v = VerifyVector(kTurin, &m);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "tcb_vs_cert"), "fail:mismatch");
  m = original;
  m[0x1A0] ^= 0x01;
  v = VerifyVector(kTurin, &m);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chip_id"), "fail:mismatch");
}

TEST(SnpVerifierVectorsTest, FlipInReservedRangeIsUnusableInput) {
  Bytes m = ReadVector(kTurin.report);
  m[0x250] ^= 0x80;
  auto v = VerifyVector(kTurin, &m);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), "0x250"));
}

TEST(SnpVerifierVectorsTest, TruncatedReportIsUnusableInput) {
  Bytes m = ReadVector(kTurin.report);
  m.pop_back();
  EXPECT_FALSE(VerifyVector(kTurin, &m).ok());
}

// The length rule (attest/common/evidence_length.h): zero padding passes unless strict,
// non-zero trailing bytes always fail, and the other checks are unaffected.
TEST(SnpVerifierVectorsTest, TrailingBytesFollowTheLengthRule) {
  const auto run = [](const Bytes& report, bool strict) {
    SnpVerifier verifier{TrustStore()};
    verifier.set_strict_length(strict);
    auto v =
        verifier.Verify(report, ReadVector(kTurin.vek), ReadVector(kTurin.chain), T(kTurin.time));
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : SnpVerification{};
  };
  const Bytes exact = ReadVector(kTurin.report);
  EXPECT_EQ(Value(run(exact, true), "length"), "ok");
  Bytes padded = exact;
  padded.insert(padded.end(), 16, 0);
  const SnpVerification lenient = run(padded, false);
  EXPECT_EQ(Value(lenient, "length"), "ok");
  EXPECT_TRUE(lenient.result.Accepted());
  const SnpVerification strict = run(padded, true);
  EXPECT_EQ(Value(strict, "length"), "fail:trailing-bytes");
  EXPECT_EQ(Value(strict, "signature"), "ok");
  EXPECT_FALSE(strict.result.Accepted());
  Bytes garbage = exact;
  garbage.push_back(0x01);
  EXPECT_EQ(Value(run(garbage, false), "length"), "fail:trailing-data");
}

// (r, n - s) verifies as well as (r, s): the verifier accepts both and reports which is low-S.
TEST(SnpVerifierVectorsTest, MalleatedHighSSignatureVerifiesAndIsReported) {
  static constexpr uint8_t kOrderLe[48] = {
      0x73, 0x29, 0xc5, 0xcc, 0x6a, 0x19, 0xec, 0xec, 0x7a, 0xa7, 0xb0, 0x48,
      0xb2, 0x0d, 0x1a, 0x58, 0xdf, 0x2d, 0x37, 0xf4, 0x81, 0x4d, 0x63, 0xc7,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const Bytes original = ReadVector(kTurin.report);
  Bytes malleated = original;
  int borrow = 0;
  for (size_t i = 0; i < kSignatureComponentSize; ++i) {
    const int n = i < sizeof(kOrderLe) ? kOrderLe[i] : 0;
    const int d = n - malleated[kSignatureOffset + 72 + i] - borrow;
    borrow = d < 0 ? 1 : 0;
    malleated[kSignatureOffset + 72 + i] = static_cast<uint8_t>(d + 256 * borrow);
  }
  auto a = VerifyVector(kTurin, &original);
  auto b = VerifyVector(kTurin, &malleated);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(Value(*a, "signature"), "ok");
  EXPECT_EQ(Value(*b, "signature"), "ok");
  std::string low_a, low_b;
  for (const auto& [k, v] : a->result.fields) low_a = k == "SIGNATURE.LOW_S" ? v : low_a;
  for (const auto& [k, v] : b->result.fields) low_b = k == "SIGNATURE.LOW_S" ? v : low_b;
  EXPECT_NE(low_a, "");
  EXPECT_NE(low_a, low_b);
}

TEST(SnpVerifierVectorsTest, CorruptCertificatesAreUnusableInput) {
  SnpVerifier verifier{TrustStore()};
  Bytes vek = ReadVector(kTurin.vek);
  vek.resize(vek.size() / 2);
  EXPECT_FALSE(
      verifier.Verify(ReadVector(kTurin.report), vek, ReadVector(kTurin.chain), T(kTurin.time))
          .ok());
  Bytes trailing = ReadVector(kTurin.vek);
  trailing.push_back(0);
  EXPECT_FALSE(
      verifier.Verify(ReadVector(kTurin.report), trailing, ReadVector(kTurin.chain), T(kTurin.time))
          .ok());
}

// --- Synthetic hierarchy ---------------------------------------------------------------------

class SyntheticChainTest : public ::testing::Test {
 protected:
  static constexpr UnixTime kNow = 1800000000;  // 2027-01-15

  TrustStore AllowRoot(const testing::TestHierarchy& h) {
    TrustStore trust;
    EXPECT_TRUE(trust.AddAllowed(X509Ptr(X509_dup(h.ark.get())), "test-ark").ok());
    return trust;
  }

  absl::StatusOr<SnpVerification> Verify(const testing::TestHierarchy& h, const Bytes& report,
                                         UnixTime now = kNow, bool allow_root = true) {
    SnpVerifier verifier(allow_root ? AllowRoot(h) : TrustStore());
    const Bytes chain(h.chain_pem.begin(), h.chain_pem.end());
    return verifier.Verify(report, h.vek_der, chain, now);
  }
};

TEST_F(SyntheticChainTest, GoodReportAccepted) {
  auto h = testing::MakeHierarchy({});
  auto v = Verify(h, testing::BuildSignedReport({}, h.vek_key.get()));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->result.Accepted()) << ::testing::PrintToString(v->result.reasons);
  EXPECT_EQ(v->product, Product::kMilan);  // allowed root: product from CPUID
}

TEST_F(SyntheticChainTest, UnpinnedRootRefusedWithoutAllowRoot) {
  auto h = testing::MakeHierarchy({});
  auto v = Verify(h, testing::BuildSignedReport({}, h.vek_key.get()), kNow, false);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "fail:root-not-pinned");
}

TEST_F(SyntheticChainTest, ExpiredAskReported) {
  testing::HierarchySpec spec;
  spec.ask_not_after = kNow - 10;
  auto h = testing::MakeHierarchy(spec);
  auto v = Verify(h, testing::BuildSignedReport({}, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "fail:ask-expired");
}

TEST_F(SyntheticChainTest, ExpiredVcekReported) {
  testing::HierarchySpec spec;
  spec.not_after = kNow - 1;
  auto h = testing::MakeHierarchy(spec);
  auto v = Verify(h, testing::BuildSignedReport({}, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "fail:vcek-expired");
  EXPECT_TRUE(absl::StrContains(::testing::PrintToString(v->result.reasons), "expired at"));
}

TEST_F(SyntheticChainTest, WrongPssSaltRefused) {
  testing::HierarchySpec spec;
  spec.vek_pss_salt = 32;
  auto h = testing::MakeHierarchy(spec);
  auto v = Verify(h, testing::BuildSignedReport({}, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "fail:bad-signature-algorithm");
}

TEST_F(SyntheticChainTest, NonP384VekRefused) {
  testing::HierarchySpec spec;
  spec.vek_curve = "prime256v1";
  auto h = testing::MakeHierarchy(spec);
  auto v = Verify(h, testing::BuildSignedReport({}, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "signature"), "fail:vek-key-not-p384");
  EXPECT_EQ(Value(*v, "chain"), "fail:vek-key-not-p384");
}

TEST_F(SyntheticChainTest, TcbMismatchUnderValidSignature) {
  testing::HierarchySpec spec;
  spec.tcb.snp = 7;  // certificate says snp=7, report says 8
  auto h = testing::MakeHierarchy(spec);
  auto v = Verify(h, testing::BuildSignedReport({}, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "signature"), "ok");
  EXPECT_EQ(Value(*v, "tcb_vs_cert"), "fail:mismatch");
  EXPECT_TRUE(absl::StrContains(::testing::PrintToString(v->result.reasons),
                                "snp REPORTED_TCB=8 certificate=7"));
}

TEST_F(SyntheticChainTest, TurinLayoutUsedForFamily1A) {
  testing::HierarchySpec spec;
  spec.product_name = "Turin";
  spec.tcb = {.fmc = 1, .bl = 3, .tee = 2, .snp = 5, .ucode = 0x61};
  spec.hwid = Bytes(8, 0x5A);
  auto h = testing::MakeHierarchy(spec);
  testing::ReportSpec rs;
  rs.version = 5;
  rs.cpuid_family = 0x1A;
  rs.cpuid_model = 0x02;
  rs.tcb = 0x6100000005020301ull;
  rs.chip_id = Bytes(8, 0x5A);
  auto v = Verify(h, testing::BuildSignedReport(rs, h.vek_key.get()));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->layout, TcbLayout::kTurin);
  EXPECT_EQ(Value(*v, "tcb_vs_cert"), "match");
  EXPECT_EQ(Value(*v, "chip_id"), "match");
  // The same report decoded as Milan would not match: the layout is load-bearing.
  rs.cpuid_family = 0x19;
  v = Verify(h, testing::BuildSignedReport(rs, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "tcb_vs_cert"), "fail:mismatch");
}

TEST_F(SyntheticChainTest, TurinChipIdMustBeZeroAfterEightBytes) {
  testing::HierarchySpec spec;
  spec.product_name = "Turin";
  spec.tcb = {.fmc = 1, .bl = 3, .tee = 2, .snp = 5, .ucode = 0x61};
  spec.hwid = Bytes(8, 0x5A);
  auto h = testing::MakeHierarchy(spec);
  testing::ReportSpec rs;
  rs.version = 5;
  rs.cpuid_family = 0x1A;
  rs.tcb = 0x6100000005020301ull;
  rs.chip_id = Bytes(9, 0x5A);
  auto v = Verify(h, testing::BuildSignedReport(rs, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chip_id"), "fail:mismatch");
}

TEST_F(SyntheticChainTest, ChipIdMismatchAndMaskedChipId) {
  auto h = testing::MakeHierarchy({});
  testing::ReportSpec rs;
  rs.chip_id = Bytes(64, 0x11);
  auto v = Verify(h, testing::BuildSignedReport(rs, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chip_id"), "fail:mismatch");
  rs.chip_id = Bytes(64, 0);  // MASK_CHIP_ID
  v = Verify(h, testing::BuildSignedReport(rs, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chip_id"), "n/a");
}

TEST_F(SyntheticChainTest, VekProductNameMustAgreeWithCpuid) {
  testing::HierarchySpec spec;
  spec.product_name = "Genoa";  // the report's CPUID says Milan (family 0x19, model 0x01)
  auto h = testing::MakeHierarchy(spec);
  auto v = Verify(h, testing::BuildSignedReport({}, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "fail:product-mismatch");
  EXPECT_TRUE(absl::StrContains(::testing::PrintToString(v->result.reasons), "Genoa"));
  // A stepping suffix does not matter, only the family.
  spec.product_name = "Milan-B1";
  h = testing::MakeHierarchy(spec);
  v = Verify(h, testing::BuildSignedReport({}, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "ok");
}

TEST_F(SyntheticChainTest, VlekWithHwidIsKindMismatch) {
  testing::HierarchySpec spec;  // a VCEK-shaped certificate...
  auto h = testing::MakeHierarchy(spec);
  testing::ReportSpec rs;
  rs.signing_key = 1;  // ...for a report that says VLEK
  auto v = Verify(h, testing::BuildSignedReport(rs, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "chain"), "fail:vek-kind-mismatch");
}

TEST_F(SyntheticChainTest, UnsignedReportRejected) {
  auto h = testing::MakeHierarchy({});
  testing::ReportSpec rs;
  rs.signing_key = 7;
  auto v = Verify(h, testing::BuildSignedReport(rs, h.vek_key.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "signature"), "fail:unsigned-report");
}

TEST_F(SyntheticChainTest, SignatureByAnotherKeyRejected) {
  auto h = testing::MakeHierarchy({});
  auto other = testing::GenerateEcKey("P-384");
  auto v = Verify(h, testing::BuildSignedReport({}, other.get()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Value(*v, "signature"), "fail:bad-signature");
  EXPECT_EQ(Value(*v, "chain"), "ok");
}

TEST_F(SyntheticChainTest, CachedChainStillChecksValidityAtEachTime) {
  testing::HierarchySpec spec;
  spec.not_after = kNow + 100;
  auto h = testing::MakeHierarchy(spec);
  SnpVerifier verifier(AllowRoot(h));
  const Bytes chain(h.chain_pem.begin(), h.chain_pem.end());
  const Bytes report = testing::BuildSignedReport({}, h.vek_key.get());
  auto first = verifier.Verify(report, h.vek_der, chain, kNow);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->result.Accepted());
  EXPECT_EQ(verifier.CacheSize(), 1u);
  auto later = verifier.Verify(report, h.vek_der, chain, kNow + 1000);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(verifier.CacheSize(), 1u);                     // served from the cache...
  EXPECT_EQ(Value(*later, "chain"), "fail:vcek-expired");  // ...but validity re-evaluated
}

class SyntheticCrlTest : public SyntheticChainTest {
 protected:
  testing::TestHierarchy h_ = testing::MakeHierarchy({});
  Bytes report_ = testing::BuildSignedReport({}, h_.vek_key.get());

  std::string CrlValue(const Bytes& crl, UnixTime now = kNow) {
    SnpVerifier verifier(AllowRoot(h_));
    const Bytes chain(h_.chain_pem.begin(), h_.chain_pem.end());
    auto v = verifier.Verify(report_, h_.vek_der, chain, now, crl);
    EXPECT_TRUE(v.ok()) << v.status();
    if (!v.ok()) return "<error>";
    const CheckOutcome* c = v->result.Find("crl");
    if (c == nullptr) return "<missing>";
    EXPECT_EQ(c->passed, v->result.Accepted());
    return c->value;
  }
};

TEST_F(SyntheticCrlTest, CurrentCrlWithoutTheAskPasses) {
  auto crl = testing::IssueCrl(h_.ark.get(), h_.ark_key.get(), {7, 8}, kNow - 100, kNow + 100);
  EXPECT_EQ(CrlValue(testing::CrlToDer(crl.get())), "ok,not-revoked");
}

TEST_F(SyntheticCrlTest, RevokedAskRejected) {
  auto crl = testing::IssueCrl(h_.ark.get(), h_.ark_key.get(), {7, 0x1234}, kNow - 100, kNow + 100);
  EXPECT_EQ(CrlValue(testing::CrlToDer(crl.get())), "fail:revoked");
}

TEST_F(SyntheticCrlTest, CrlOutsideItsValidityRejected) {
  auto crl = testing::IssueCrl(h_.ark.get(), h_.ark_key.get(), {}, kNow - 100, kNow + 100);
  const Bytes der = testing::CrlToDer(crl.get());
  EXPECT_EQ(CrlValue(der, kNow + 101), "fail:expired");
  EXPECT_EQ(CrlValue(der, kNow - 101), "fail:not-yet-valid");
}

TEST_F(SyntheticCrlTest, CrlSignedByAnotherKeyRejected) {
  auto other = testing::GenerateRsaKey(2048);
  auto crl = testing::IssueCrl(h_.ark.get(), other.get(), {}, kNow - 100, kNow + 100);
  EXPECT_EQ(CrlValue(testing::CrlToDer(crl.get())), "fail:bad-signature");
}

// An issuer that differs from the ARK only in its locality: the message shows both full names
// and the differing attribute, not two identical common names.
TEST_F(SyntheticCrlTest, IssuerDifferingOnlyInLocalityNamesTheDifference) {
  X509Ptr lookalike(X509_dup(h_.ark.get()));
  X509_NAME* name = X509_NAME_dup(X509_get_subject_name(h_.ark.get()));
  ASSERT_EQ(
      X509_NAME_add_entry_by_txt(name, "L", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("Elsewhere"), -1, -1, 0),
      1);
  X509_set_subject_name(lookalike.get(), name);
  X509_NAME_free(name);
  auto crl = testing::IssueCrl(lookalike.get(), h_.ark_key.get(), {}, kNow - 100, kNow + 100);
  const Bytes der = testing::CrlToDer(crl.get());
  const CrlVerdict verdict = CheckAmdCrl(der, h_.ark.get(), h_.ask.get(), kNow);
  EXPECT_EQ(verdict.value, "fail:wrong-issuer");
  EXPECT_TRUE(absl::StrContains(verdict.detail, "has L=Elsewhere where nothing is expected"))
      << verdict.detail;
}

TEST_F(SyntheticCrlTest, CrlFromAnotherIssuerOrMalformedRejected) {
  auto crl = testing::IssueCrl(h_.ask.get(), h_.ask_key.get(), {}, kNow - 100, kNow + 100);
  EXPECT_EQ(CrlValue(testing::CrlToDer(crl.get())), "fail:wrong-issuer");
  EXPECT_EQ(CrlValue(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}), "fail:malformed");
}

}  // namespace
}  // namespace pv::attest::snp
