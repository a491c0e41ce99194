// The agent's simulated secure-processor hierarchies (simulated_platforms.h) and its GetQuote
// backend (sim_sp_backend.h): a background warm-up and concurrent users share one generation
// (one hierarchy on disk, one object), and GetQuote quotes only its own partition's TDREPORTs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "attest/simsp/guest_request_server.h"
#include "sim_sp_backend.h"
#include "simulated_platforms.h"

namespace pv::agent {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/simplat-test-XXXXXX";
  return ::mkdtemp(tmpl);
}

TEST(SimulatedPlatforms, WarmUpAndConcurrentUsersShareOneGeneration) {
  const std::string dir = TempDir();
  {
    SimulatedPlatforms platforms(dir + "/simulated-sp");
    platforms.WarmUp(/*amd=*/false, /*tdx=*/true);
    platforms.WarmUp(/*amd=*/false, /*tdx=*/true);  // a second warm-up does nothing
    std::vector<const attest::simsp::SimulatedTdxQuoting*> seen(4, nullptr);
    std::vector<std::thread> users;
    for (size_t i = 0; i < seen.size(); ++i) {
      users.emplace_back([&, i] {
        auto got = platforms.For(/*tdx_personality=*/true);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(got->amd, nullptr);  // the AMD hierarchy is not generated for a TDX partition
        seen[i] = got->tdx;
      });
    }
    for (auto& t : users) t.join();
    for (auto* q : seen) EXPECT_EQ(q, seen[0]);
    struct stat st;
    EXPECT_EQ(::stat((dir + "/simulated-sp/ark.pem").c_str(), &st), -1);
    ASSERT_EQ(::stat((dir + "/simulated-sp").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
  }
  std::filesystem::remove_all(dir);
}

TEST(SimulatedSpBackend, GetQuoteQuotesOnlyThisPartitionsReports) {
  const std::string dir = TempDir();
  {
    SimulatedPlatforms platforms(dir + "/simulated-sp");
    auto tdx = platforms.Tdx();
    ASSERT_TRUE(tdx.ok()) << tdx.status();
    pv::v1::PartitionSpec spec;
    spec.set_tee(pv::v1::TEE_TDX);
    auto a = SimulatedSpBackend::Create(nullptr, *tdx, spec, {});
    auto b = SimulatedSpBackend::Create(nullptr, *tdx, spec, {});
    ASSERT_TRUE(a.ok() && b.ok());
    // A's TDREPORT, fetched the way the paravisor does (VMPCK0 from A's secrets page).
    pv::attest_proto::SecretsPage page;
    const std::vector<uint8_t> secrets = (*a)->SecretsPage();
    std::memcpy(&page, secrets.data(), sizeof(page));
    attest::simsp::Vmpck k0;
    std::memcpy(k0.data(), page.vmpck[0], k0.size());
    auto rsp = (*a)->GuestRequest(attest::simsp::BuildGuestMessage(
        k0, 0, 1, pv::attest_proto::kMsgSimTdReportReq, std::vector<uint8_t>(64, 0xAA)));
    ASSERT_TRUE(rsp.ok()) << rsp.status();
    pv::attest_proto::GuestMsgHeader h;
    std::memcpy(&h, rsp->data(), sizeof(h));
    std::vector<uint8_t> plain(h.msg_sz);
    ASSERT_TRUE(attest::simsp::GuestMsgOpen(
        k0, h.msg_seqno,
        std::span<const uint8_t>(rsp->data() + pv::attest_proto::kAadOffset,
                                 pv::attest_proto::kAadSize),
        std::span<const uint8_t>(rsp->data() + sizeof(h), h.msg_sz), h.authtag, plain.data()));
    const std::vector<uint8_t> tdreport(
        plain.begin() + sizeof(pv::attest_proto::ReportResponseHeader), plain.end());
    auto quote = (*a)->GetQuote(tdreport);
    ASSERT_TRUE(quote.ok()) << quote.status();
    EXPECT_EQ((*quote)[0], 4);
    auto foreign = (*b)->GetQuote(tdreport);
    EXPECT_EQ(foreign.status().code(), absl::StatusCode::kPermissionDenied) << foreign.status();
    // An SNP partition's backend has no quoting enclave.
    pv::v1::PartitionSpec snp;
    snp.set_tee(pv::v1::TEE_SEV_SNP);
    auto c = SimulatedSpBackend::Create(nullptr, nullptr, snp, {});
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)->GetQuote(tdreport).status().code(), absl::StatusCode::kFailedPrecondition);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pv::agent
