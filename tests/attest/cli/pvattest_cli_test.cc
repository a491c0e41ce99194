// The pvattest binary as a user runs it: exit statuses (0 accepted, 1 rejected, 2 unusable or
// usage), --json output shape, inspect on every kind of file, the KDS-keyed cache and the
// certificate-table input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "attest/common/cert_util.h"
#include "tests/attest/snp/amd_test_pki.h"
#include "tests/attest/snp/vectors.h"

namespace {

using pv::attest::Bytes;
using pv::attest::ByteSpan;
using pv::attest::DigestOf;
using pv::attest::HexEncode;

struct CliRun {
  int status = -1;
  std::string out;
};

std::string V(const std::string& rel) {
  return std::string(PV_VECTORS_DIR) + "/" + rel;
}

CliRun Pvattest(const std::string& args) {
  const std::string cmd = std::string(PVATTEST_BINARY) + " " + args + " 2>&1";
  CliRun run;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) run.out.append(buf.data(), n);
  const int raw = pclose(pipe);
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return run;
}

const std::string kMilanArgs = "--report " + V("snp/virtee-sev/report_milan.bin") + " --vek " +
                               V("snp/virtee-sev/vcek_milan.der") + " --chain " +
                               V("snp/virtee-sev/cert_chain_milan") + " --at 2026-11-21T00:00:00Z";

TEST(PvattestCliTest, AcceptedReportExitsZero) {
  const CliRun r = Pvattest("verify snp " + kMilanArgs);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("verdict: ACCEPT"), std::string::npos);
}

TEST(PvattestCliTest, DebugReportRejectedWithReason) {
  const CliRun r = Pvattest("verify snp --report " + V("snp/go-sev-guest/attestation.bin") +
                            " --vek " + V("snp/go-sev-guest/vcek.testcer") + " --chain " +
                            V("snp/go-sev-guest/ask_ark_milan.pem") + " --at 2026-11-21T00:00:00Z");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("debug-allowed"), std::string::npos) << r.out;
}

TEST(PvattestCliTest, PolicyFileCanAllowDebug) {
  const auto path = std::filesystem::temp_directory_path() / "pv_cli_allow_debug.json";
  std::ofstream(path) << R"({"snp": {"allow_debug": true}})";
  const CliRun r = Pvattest("verify snp --report " + V("snp/go-sev-guest/attestation.bin") +
                            " --vek " + V("snp/go-sev-guest/vcek.testcer") + " --chain " +
                            V("snp/go-sev-guest/ask_ark_milan.pem") +
                            " --at 2026-11-21T00:00:00Z --policy " + path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(PvattestCliTest, JsonOutputHasTheDocumentedShape) {
  const CliRun r = Pvattest("verify snp --json " + kMilanArgs);
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["tee"], "sev-snp");
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["signature"], "ok");
  EXPECT_EQ(j["chain"], "ok");
  EXPECT_EQ(j["tcb_vs_cert"], "match");
  EXPECT_EQ(j["chip_id"], "match");
  EXPECT_EQ(j["policy"], "accept");
  EXPECT_EQ(j["verdict"], "accept");
  EXPECT_TRUE(j["reasons"].is_array());
  EXPECT_EQ(j["fields"]["PRODUCT"], "Milan");
}

TEST(PvattestCliTest, UnusableInputsExitTwo) {
  EXPECT_EQ(Pvattest("").status, 2);
  EXPECT_EQ(Pvattest("verify").status, 2);
  EXPECT_EQ(Pvattest("verify snp --report").status, 2);
  EXPECT_EQ(Pvattest("verify snp --bogus x").status, 2);
  EXPECT_EQ(Pvattest("verify snp --report /nonexistent --vek x --chain y").status, 2);
  // A certificate used as a report: its first 0x4A0 bytes are no report.
  const CliRun r = Pvattest("verify snp --report " + V("snp/virtee-sev/vcek_milan.der") +
                            " --vek " + V("snp/virtee-sev/vcek_milan.der") + " --chain " +
                            V("snp/virtee-sev/cert_chain_milan"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("VERSION (0x000)"), std::string::npos) << r.out;
  EXPECT_EQ(Pvattest("verify snp " + kMilanArgs + " --at yesterday").status, 2);
}

// stdout alone (stderr discarded), for what scripts parse.
CliRun PvattestStdout(const std::string& args) {
  return Pvattest(args + " 2>/dev/null #");
}

TEST(PvattestCliTest, JsonErrorsAreObjectsOnStdout) {
  for (const std::string& args :
       {std::string("verify --json"), std::string("verify snp --json --bogus x"),
        std::string("verify snp --json --report /nonexistent --vek x --chain y"),
        "verify snp --json " + kMilanArgs + " --at yesterday",
        std::string("verify tdx --json --quote /nonexistent --root y")}) {
    const CliRun r = PvattestStdout(args);
    EXPECT_EQ(r.status, 2) << args;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << args << " -> '" << r.out << "'";
    EXPECT_EQ(j["verdict"], "error") << args;
    EXPECT_EQ(j["exit_status"], 2) << args;
    EXPECT_TRUE(j["error"].is_string() && !j["error"].get<std::string>().empty()) << args;
  }
}

TEST(PvattestCliTest, HelpOnEverySubcommandAndVersion) {
  for (const char* args : {"--help", "verify --help", "verify snp --help", "verify tdx -h",
                           "inspect --help", "conformance --help", "cache-add --help"}) {
    const CliRun r = PvattestStdout(args);
    EXPECT_EQ(r.status, 0) << args;
    EXPECT_NE(r.out.find("usage"), std::string::npos) << args << ": " << r.out;
  }
  const CliRun v = PvattestStdout("--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("pvattest ", 0), 0u) << v.out;
  EXPECT_NE(v.out.find("OpenSSL"), std::string::npos) << v.out;
}

TEST(PvattestCliTest, ReportDataFlagsBindANonceWithoutAPolicyFile) {
  const Bytes report = pv::attest::testing::ReadVector("snp/virtee-sev/report_milan.bin");
  const std::string report_data = HexEncode(ByteSpan(report).subspan(0x50, 64));
  EXPECT_EQ(Pvattest("verify snp " + kMilanArgs + " --report-data " + report_data).status, 0);
  CliRun r = Pvattest("verify snp " + kMilanArgs + " --report-data 00ff");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("report-data-mismatch"), std::string::npos) << r.out;
  const auto nonce = std::filesystem::temp_directory_path() / "pv_cli_nonce.bin";
  std::ofstream(nonce) << "challenge";
  const std::string challenge = "challenge";
  auto digest = DigestOf(
      "SHA384", ByteSpan(reinterpret_cast<const uint8_t*>(challenge.data()), challenge.size()));
  ASSERT_TRUE(digest.ok());
  r = Pvattest("verify snp " + kMilanArgs + " --report-data-sha384-of " + nonce.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("expected " + HexEncode(*digest) + std::string(32, '0')), std::string::npos)
      << r.out;
  EXPECT_EQ(Pvattest("verify snp " + kMilanArgs + " --report-data 00 --report-data-sha512-of " +
                     nonce.string())
                .status,
            2);
  EXPECT_EQ(Pvattest("verify snp " + kMilanArgs + " --report-data " + std::string(130, 'a')).status,
            2);
  std::filesystem::remove(nonce);
}

TEST(PvattestCliTest, StrictLengthRefusesPaddedEvidence) {
  Bytes padded = pv::attest::testing::ReadVector("snp/virtee-sev/report_milan.bin");
  padded.insert(padded.end(), 32, 0);
  const auto path = std::filesystem::temp_directory_path() / "pv_cli_padded_report.bin";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(padded.data()),
             static_cast<std::streamsize>(padded.size()));
  const std::string args = "verify snp --report " + path.string() + " --vek " +
                           V("snp/virtee-sev/vcek_milan.der") + " --chain " +
                           V("snp/virtee-sev/cert_chain_milan") + " --at 2026-11-21T00:00:00Z";
  EXPECT_EQ(Pvattest(args).status, 0);
  const CliRun strict = Pvattest(args + " --strict-length");
  EXPECT_EQ(strict.status, 1) << strict.out;
  EXPECT_NE(strict.out.find("length: fail:trailing-bytes"), std::string::npos) << strict.out;
  const CliRun inspect = Pvattest("inspect " + path.string());
  EXPECT_NE(inspect.out.find("TRAILING_BYTES"), std::string::npos) << inspect.out;
  std::filesystem::remove(path);
}

TEST(PvattestCliTest, CertTableInput) {
  const CliRun r = Pvattest("verify snp --report " + V("snp/veraison-tsm/outblob_report.bin") +
                            " --cert-table " + V("snp/veraison-tsm/auxblob_certtable.bin") +
                            " --at 2026-11-21T00:00:00Z");
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(PvattestCliTest, CacheAddThenVerifyOffline) {
  const auto dir = std::filesystem::temp_directory_path() / "pv_cli_kds_cache";
  std::filesystem::remove_all(dir);
  CliRun add = Pvattest("cache-add snp --cache " + dir.string() + " " + kMilanArgs);
  ASSERT_EQ(add.status, 0) << add.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "vcek/v1/Milan/cert_chain.pem"));
  const CliRun r = Pvattest("verify snp --report " + V("snp/virtee-sev/report_milan.bin") +
                            " --cache " + dir.string() + " --at 2026-11-21T00:00:00Z");
  EXPECT_EQ(r.status, 0) << r.out;
  // A report from another chip finds nothing in this cache.
  const CliRun miss = Pvattest("verify snp --report " + V("snp/go-sev-guest/attestation.bin") +
                               " --cache " + dir.string() + " --at 2026-11-21T00:00:00Z");
  EXPECT_EQ(miss.status, 2) << miss.out;
  std::filesystem::remove_all(dir);
}

TEST(PvattestCliTest, InspectPrintsEveryKindOfFile) {
  CliRun r = Pvattest("inspect " + V("snp/openanolis-trustee/turin-report.bin"));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("CURRENT_MIT_VECTOR"), std::string::npos);
  r = Pvattest("inspect " + V("snp/openanolis-trustee/turin-vcek.der"));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("AMD.FMC_SPL"), std::string::npos) << r.out;
  r = Pvattest("inspect " + V("snp/veraison-tsm/auxblob_certtable.bin"));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("63da758d-e664-4564-adc5-f4b93be8accd"), std::string::npos);
  r = Pvattest("inspect " + V("tdx/phala-dcap-qvl/tdx_quote.root_ca_crl.der"));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("CRL"), std::string::npos);
  EXPECT_EQ(Pvattest("inspect /nonexistent").status, 2);
}

TEST(PvattestCliTest, SyntheticRootNeedsAllowRootAndTrustDirOnlyAdmitsPins) {
  namespace t = pv::attest::testing;
  const auto dir = std::filesystem::temp_directory_path() / "pv_cli_synthetic_root";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "trust");
  auto h = t::MakeHierarchy({});
  const pv::attest::Bytes report = t::BuildSignedReport({}, h.vek_key.get());
  const auto write = [&](const std::filesystem::path& path, const void* data, size_t size) {
    std::ofstream(path, std::ios::binary)
        .write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  };
  write(dir / "report.bin", report.data(), report.size());
  write(dir / "vek.der", h.vek_der.data(), h.vek_der.size());
  const std::string ask = t::CertToPem(h.ask.get());
  const std::string ark = t::CertToPem(h.ark.get());
  write(dir / "ask.pem", ask.data(), ask.size());
  write(dir / "ark.pem", ark.data(), ark.size());
  write(dir / "trust" / "ark.pem", ark.data(), ark.size());
  const std::string base = "verify snp --report " + (dir / "report.bin").string() + " --vek " +
                           (dir / "vek.der").string() + " --chain " + (dir / "ask.pem").string() +
                           " --at 2027-01-01T00:00:00Z";
  // A trust directory does not make an unpinned root trusted.
  CliRun r = Pvattest(base + " --trust-dir " + (dir / "trust").string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("fail:unknown-root"), std::string::npos) << r.out;
  // Explicitly allowed, it is.
  r = Pvattest(base + " --allow-root " + (dir / "ark.pem").string() + " --json");
  EXPECT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["fields"]["ROOT_PINNED"], "false");
  std::filesystem::remove_all(dir);
}

#if PV_HAVE_TDX_VERIFIER
TEST(PvattestCliTest, TdxVerifyAndInspect) {
  const std::string base = "verify tdx --quote " + V("tdx/phala-dcap-qvl/tdx_quote") + " --root " +
                           V("tdx/phala-dcap-qvl/TrustedRootCA.pem") + " --tcb-info " +
                           V("tdx/phala-dcap-qvl/tdx_quote.tcbInfo.json") +
                           " --tcb-signing-chain " +
                           V("tdx/phala-dcap-qvl/tdx_quote.tcbSignChain.pem") + " --qe-identity " +
                           V("tdx/phala-dcap-qvl/tdx_quote.qeIdentity.json") + " --pck-crl " +
                           V("tdx/phala-dcap-qvl/tdx_quote.pck_crl.der") + " --root-crl " +
                           V("tdx/phala-dcap-qvl/tdx_quote.root_ca_crl.der") + " --pck-crl-chain " +
                           V("tdx/phala-dcap-qvl/tdx_quote.pckCrlChain.pem");
  CliRun r = Pvattest(base + " --at 2025-07-01T00:00:00Z --json");
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["tee"], "tdx");
  EXPECT_EQ(j["tcb"], "UpToDate");
  EXPECT_TRUE(j["advisories"].is_array());
  EXPECT_EQ(r.status, j["verdict"] == "accept" ? 0 : 1);
  // Far in the future the collateral has expired: rejected, not unusable.
  r = Pvattest(base + " --at 2040-01-01T00:00:00Z");
  EXPECT_EQ(r.status, 1) << r.out;
  // The anchor can come from a trust directory instead (only the pinned Intel root is taken).
  const auto dir = std::filesystem::temp_directory_path() / "pv_cli_tdx_trust";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(V("tdx/phala-dcap-qvl/TrustedRootCA.pem"), dir / "intel.pem");
  std::filesystem::copy_file(V("snp/go-sev-guest/ask_ark_milan.pem"), dir / "amd.pem");
  const std::string with_dir = base.substr(0, base.find(" --root ")) +
                               base.substr(base.find(" --tcb-info ")) + " --trust-dir " +
                               dir.string() + " --at 2025-07-01T00:00:00Z --json";
  r = Pvattest(with_dir);
  const auto j2 = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j2.is_discarded()) << r.out;
  EXPECT_EQ(j2["pck_chain"], j["pck_chain"]);
  EXPECT_EQ(j2["verdict"], j["verdict"]);
  std::filesystem::remove_all(dir);
  r = Pvattest("inspect " + V("tdx/phala-dcap-qvl/tdx_quote"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("MRTD"), std::string::npos);
}
#else
TEST(PvattestCliTest, TdxUnavailableExitsTwo) {
  const CliRun r = Pvattest("verify tdx --quote x --root y");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("not available"), std::string::npos);
}
#endif

}  // namespace
