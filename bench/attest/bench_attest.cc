// Attestation verification throughput on one core, printed next to the raw OpenSSL signature
// verification rates measured in the same run, so the ratio is what matters, not the machine.
//
//   SNP: full SnpVerifier::Verify (parse, format checks, cached chain, validity at `now`,
//        P-384 report signature, TCB/CHIP_ID checks, field decoding) vs one raw P-384 verify.
//        Target: >= 0.9x.
//   TDX: full TdxVerifier::Verify with cached collateral vs two raw P-256 verifies (quote and QE
//        report signatures are the irreducible cost). Target: >= 0.8x.
//
// The raw baselines use EVP_PKEY_verify on a precomputed digest with a reused context (what
// `openssl speed` measures): the strictest baseline. Measurements are interleaved in rounds so
// load from other processes on a shared machine hits baseline and subject alike.
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "attest/common/bytes.h"
#include "attest/common/cert_util.h"
#include "attest/common/openssl_ptr.h"
#include "attest/common/signature_util.h"
#include "attest/common/time_util.h"
#include "attest/snp/snp_report.h"
#include "attest/snp/snp_verifier.h"

#if PV_HAVE_TDX_VERIFIER
#include "absl/time/time.h"
#include "attest/tdx/tdx_verifier.h"
#endif

namespace pv::attest {
namespace {

[[noreturn]] void Die(const std::string& what) {
  (void)std::fprintf(stderr, "bench_attest: %s\n", what.c_str());
  std::exit(2);
}

Bytes Read(const std::string& dir, const std::string& rel) {
  auto data = ReadFileBytes(dir + "/" + rel);
  if (!data.ok()) Die(std::string(data.status().message()));
  return *data;
}

// Runs `op` repeatedly for about `seconds`; returns operations per second.
double Rate(const std::function<bool()>& op, double seconds) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  long count = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 16; ++i) {
      if (!op()) Die("a benchmarked verification failed");
    }
    count += 16;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(count) / elapsed;
}

// Interleaves two measurements in `rounds` rounds and returns their total rates.
std::pair<double, double> Interleaved(const std::function<bool()>& a,
                                      const std::function<bool()>& b, double seconds, int rounds) {
  double ops_a = 0, ops_b = 0;
  for (int r = 0; r < rounds; ++r) {
    ops_a += Rate(a, seconds / rounds);
    ops_b += Rate(b, seconds / rounds);
  }
  return {ops_a / rounds, ops_b / rounds};
}

// A raw verifier: one EVP_PKEY_CTX initialised once, verifying a fixed digest and signature.
struct RawVerify {
  EvpPkeyCtxPtr ctx;
  Bytes digest;
  Bytes signature;
  bool operator()() const {
    return EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(),
                           digest.size()) == 1;
  }
};

RawVerify MakeRawVerify(EVP_PKEY* key, const EVP_MD* md, ByteSpan data, ByteSpan der_signature) {
  RawVerify v;
  v.digest.resize(EVP_MD_get_size(md));
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), v.digest.data(), &len, md, nullptr);
  v.signature.assign(der_signature.begin(), der_signature.end());
  v.ctx.reset(EVP_PKEY_CTX_new(key, nullptr));
  if (!v.ctx || EVP_PKEY_verify_init(v.ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(v.ctx.get(), md) != 1) {
    Die("EVP_PKEY_verify_init failed");
  }
  if (!v()) Die("raw baseline signature does not verify");
  return v;
}

}  // namespace
}  // namespace pv::attest

int main(int argc, char** argv) {
  using namespace pv::attest;
  std::string vectors;
  double seconds = 4.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--vectors" && i + 1 < argc) {
      vectors = argv[++i];
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      (void)std::fprintf(stderr, "usage: bench_attest --vectors DIR [--seconds S]\n");
      return 2;
    }
  }
  if (vectors.empty() || seconds <= 0) {
    (void)std::fprintf(stderr, "usage: bench_attest --vectors DIR [--seconds S]\n");
    return 2;
  }
  constexpr int kRounds = 8;
  std::printf("attestation verification, one core, %s, %.1f s per measurement in %d rounds\n",
              OpenSSL_version(OPENSSL_VERSION), seconds, kRounds);

  // --- SNP: the Turin v5 report (P-384) with its VCEK and chain.
  const Bytes report = Read(vectors, "snp/openanolis-trustee/turin-report.bin");
  const Bytes vek = Read(vectors, "snp/openanolis-trustee/turin-vcek.der");
  const Bytes chain = Read(vectors, "snp/go-sev-guest/ask_ark_turin_vcek.pem");
  const UnixTime now = *ParseRfc3339("2026-11-21T00:00:00Z");
  snp::SnpVerifier verifier{TrustStore()};
  auto first = verifier.Verify(report, vek, chain, now);
  if (!first.ok() || !first->result.Accepted()) Die("SNP vector does not verify");

  auto vek_cert = ParseSingleCertificate(vek, "vek");
  auto parsed = snp::ParseSnpReport(report);
  auto der_sig = EcdsaLittleEndianSignatureToDer(parsed->signature_r, parsed->signature_s);
  RawVerify p384 = MakeRawVerify(X509_get0_pubkey(vek_cert->get()), EVP_sha384(),
                                 parsed->signed_bytes, *der_sig);
  const auto [raw384, snp_rate] = Interleaved([&] { return p384(); },
                                              [&] {
                                                auto v = verifier.Verify(report, vek, chain, now);
                                                return v.ok() && v->result.Accepted();
                                              },
                                              seconds, kRounds);
  std::printf("raw ECDSA P-384 verify            %10.0f /s\n", raw384);
  std::printf("SNP report verify (cached chain)  %10.0f /s   ratio %.3f  (target >= 0.90: %s)\n",
              snp_rate, snp_rate / raw384, snp_rate / raw384 >= 0.9 ? "met" : "NOT met");

  // --- TDX: two raw P-256 verifies vs a full quote verification with cached collateral.
  EvpPkeyPtr p256_key(EVP_EC_gen("P-256"));
  const Bytes message(632, 0x5a);  // the size of a v4 quote's signed region
  Bytes p256_sig;
  {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    size_t len = 0;
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, p256_key.get());
    EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size());
    p256_sig.resize(len);
    EVP_DigestSign(ctx.get(), p256_sig.data(), &len, message.data(), message.size());
    p256_sig.resize(len);
  }
  RawVerify p256 = MakeRawVerify(p256_key.get(), EVP_sha256(), message, p256_sig);
#if PV_HAVE_TDX_VERIFIER
  const auto text = [&](const std::string& rel) {
    const Bytes b = Read(vectors, rel);
    return std::string(b.begin(), b.end());
  };
  const std::string quote = text("tdx/phala-dcap-qvl/tdx_quote");
  tdx::TdxCollateral collateral;
  collateral.tcb_info_json = text("tdx/phala-dcap-qvl/tdx_quote.tcbInfo.json");
  collateral.tcb_info_issuer_chain_pem = text("tdx/phala-dcap-qvl/tdx_quote.tcbSignChain.pem");
  collateral.qe_identity_json = text("tdx/phala-dcap-qvl/tdx_quote.qeIdentity.json");
  collateral.pck_crl = text("tdx/phala-dcap-qvl/tdx_quote.pck_crl.der");
  collateral.root_ca_crl = text("tdx/phala-dcap-qvl/tdx_quote.root_ca_crl.der");
  collateral.pck_crl_issuer_chain_pem = text("tdx/phala-dcap-qvl/tdx_quote.pckCrlChain.pem");
  tdx::TdxVerifyOptions options;
  options.now = absl::FromUnixSeconds(*ParseRfc3339("2025-07-01T00:00:00Z"));
  options.root_certificate = text("tdx/phala-dcap-qvl/TrustedRootCA.pem");
  tdx::TdxVerifier tdx_verifier;
  auto tdx_first = tdx_verifier.Verify(quote, collateral, options);
  if (!tdx_first.ok() || !tdx_first->Accepted()) Die("TDX vector does not verify");
  const auto [two_p256, tdx_rate] =
      Interleaved([&] { return p256() && p256(); },
                  [&] {
                    auto v = tdx_verifier.Verify(quote, collateral, options);
                    return v.ok() && v->Accepted();
                  },
                  seconds, kRounds);
  std::printf("raw ECDSA P-256 verify            %10.0f /s\n", 2 * two_p256);
  std::printf("two raw P-256 verifies            %10.0f /s\n", two_p256);
  std::printf("TDX quote verify (cached)         %10.0f /s   ratio %.3f  (target >= 0.80: %s)\n",
              tdx_rate, tdx_rate / two_p256, tdx_rate / two_p256 >= 0.8 ? "met" : "NOT met");
#else
  const double raw256 = Rate([&] { return p256(); }, seconds);
  std::printf("raw ECDSA P-256 verify            %10.0f /s\n", raw256);
  std::printf("TDX quote verify: not built (no attest/tdx verifier in this build)\n");
#endif
  return 0;
}
