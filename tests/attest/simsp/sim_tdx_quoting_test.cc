// The simulated TDX quoting path (attest/simsp/sim_tdx_quoting.h): its Intel-shaped hierarchy
// is generated once and reloaded, its quotes verify with the project's TDX verifier (pvattest's
// code path, collateral cache directory) with every check passing only when the simulated root
// is explicitly allowed, and a TDREPORT the simulated module did not produce (bad MAC, altered
// TDINFO or TEE_TCB_INFO, wrong type or size) is never quoted.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "attest/cli/tdx_bridge.h"
#include "attest/common/bytes.h"
#include "attest/simsp/guest_request_server.h"
#include "attest/simsp/sim_tdx_quoting.h"

namespace pv::attest::simsp {
namespace {

namespace ap = pv::attest_proto;

std::string TempDir() {
  char tmpl[] = "/tmp/simtdx-test-XXXXXX";
  static std::string dir = ::mkdtemp(tmpl);
  (void)std::atexit([] { std::filesystem::remove_all(dir); });
  return dir;
}

const SimulatedTdxQuoting& Qe() {
  static const SimulatedTdxQuoting* qe = [] {
    auto created = SimulatedTdxQuoting::LoadOrCreate(TempDir() + "/tdx");
    EXPECT_TRUE(created.ok()) << created.status();
    return created->release();
  }();
  return *qe;
}

std::array<Vmpck, 4> TestKeys() {
  std::array<Vmpck, 4> k;
  for (int i = 0; i < 4; ++i) k[i].fill(static_cast<uint8_t>(0x20 + i));
  return k;
}

// A TDX-personality server (no AMD hierarchy needed) and one TDREPORT from it, fetched the way
// the paravisor does: a kMsgSimTdReportReq guest message.
struct TdFixture {
  TdFixture() : server(nullptr, Identity(), TestKeys()) {}
  static PartitionIdentity Identity() {
    PartitionIdentity id;
    id.tdx_personality = true;
    id.mrtd.fill(0x7D);
    id.td_attributes = 0;
    return id;
  }
  std::vector<uint8_t> TdReport(const std::vector<uint8_t>& report_data) {
    const Vmpck k0 = TestKeys()[0];
    auto rsp = server.Handle(BuildGuestMessage(k0, 0, seqno, ap::kMsgSimTdReportReq, report_data));
    EXPECT_TRUE(rsp.ok()) << rsp.status();
    seqno += 2;
    ap::GuestMsgHeader h;
    std::memcpy(&h, rsp->data(), sizeof(h));
    std::vector<uint8_t> plain(h.msg_sz);
    EXPECT_TRUE(GuestMsgOpen(
        k0, h.msg_seqno, std::span<const uint8_t>(rsp->data() + ap::kAadOffset, ap::kAadSize),
        std::span<const uint8_t>(rsp->data() + sizeof(h), h.msg_sz), h.authtag, plain.data()));
    return std::vector<uint8_t>(plain.begin() + sizeof(ap::ReportResponseHeader), plain.end());
  }
  GuestRequestServer server;
  uint64_t seqno = 1;
};

std::string WriteTemp(const std::vector<uint8_t>& bytes) {
  std::string path = TempDir() + "/quote.bin";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(SimulatedTdxQuoting, HierarchyIsReloadedNotRegenerated) {
  const SimulatedTdxQuoting& qe = Qe();
  auto root = ReadFileBytes(qe.RootPath());
  ASSERT_TRUE(root.ok()) << root.status();
  auto again = SimulatedTdxQuoting::LoadOrCreate(qe.dir());
  ASSERT_TRUE(again.ok()) << again.status();
  auto root_again = ReadFileBytes((*again)->RootPath());
  ASSERT_TRUE(root_again.ok());
  EXPECT_EQ(*root, *root_again);
  struct stat st;
  ASSERT_EQ(::stat((qe.dir() + "/pck-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const char* f : {"qe/identity.json", "pckcrl/platform.crl", "rootcrl.crl"}) {
    EXPECT_TRUE(std::filesystem::exists(qe.CollateralDir() + "/" + f)) << f;
  }
}

TEST(SimulatedTdxQuoting, QuoteVerifiesWithEveryCheckOnlyWithTheSimulatedRootAllowed) {
  TdFixture td;
  std::vector<uint8_t> report_data(64);
  for (size_t i = 0; i < 64; ++i) report_data[i] = static_cast<uint8_t>(0x90 + i);
  const std::vector<uint8_t> tdreport = td.TdReport(report_data);
  ASSERT_TRUE(td.server.CheckTdReport(tdreport).ok());
  auto quote = Qe().Quote(tdreport);
  ASSERT_TRUE(quote.ok()) << quote.status();

  cli::TdxFiles files;
  files.quote = WriteTemp(*quote);
  files.root = Qe().RootPath();
  files.collateral_dir = Qe().CollateralDir();
  const UnixTime now = static_cast<UnixTime>(::time(nullptr));
  // Not pinned: refused by default even though it is the quote's own root.
  auto refused = cli::VerifyTdxFiles(files, now, policy::TdxPolicy());
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->Accepted());
  ASSERT_NE(refused->Find("pck_chain"), nullptr);
  EXPECT_FALSE(refused->Find("pck_chain")->passed);

  files.allow_root = true;
  auto allowed = cli::VerifyTdxFiles(files, now, policy::TdxPolicy());
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  for (const auto& c : allowed->checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.value;
  EXPECT_TRUE(allowed->Accepted());
  for (const char* check : {"quote_sig", "qe_report_sig", "ak_binding", "pck_chain", "pck_crl",
                            "root_crl", "collateral_sigs", "qe_identity", "tcb"}) {
    const auto* c = allowed->Find(check);
    ASSERT_NE(c, nullptr) << check;
    EXPECT_FALSE(c->value.starts_with("skipped")) << check << ": " << c->value;
  }
  std::map<std::string, std::string> fields(allowed->fields.begin(), allowed->fields.end());
  EXPECT_EQ(fields["TCB_STATUS"], "UpToDate");
  EXPECT_EQ(fields["TDX_MODULE_TCB_STATUS"], "UpToDate");
  EXPECT_EQ(fields["QE_IDENTITY_STATUS"], "UpToDate");
  std::string mrtd;
  for (int i = 0; i < 48; ++i) mrtd += "7d";
  EXPECT_EQ(fields["MRTD"], mrtd);
  EXPECT_EQ(fields["REPORT_DATA"], HexEncode(report_data));
  EXPECT_EQ(fields["TD_ATTRIBUTES.DEBUG"], "false");
  EXPECT_EQ(fields["TEE_TCB_SVN"], HexEncode(kSimTeeTcbSvn));
  EXPECT_EQ(fields["QUOTE_SIGNATURE.LOW_S"], "true");
  EXPECT_EQ(fields["QE_REPORT_SIGNATURE.LOW_S"], "true");
  ::unlink(files.quote.c_str());
}

TEST(SimulatedTdxQuoting, ReportsTheModuleDidNotProduceAreRefused) {
  TdFixture td;
  const std::vector<uint8_t> good = td.TdReport(std::vector<uint8_t>(64, 0x11));
  ASSERT_TRUE(td.server.CheckTdReport(good).ok());
  auto refused = [&](std::vector<uint8_t> r) { return td.server.CheckTdReport(r); };
  std::vector<uint8_t> r = good;
  r[kTdReportDataOffset] ^= 1;  // REPORTDATA (MAC'd)
  EXPECT_EQ(refused(r).code(), absl::StatusCode::kPermissionDenied);
  r = good;
  r[kTdReportMacOffset] ^= 0x80;  // the MAC itself
  EXPECT_EQ(refused(r).code(), absl::StatusCode::kPermissionDenied);
  r = good;
  r[kTdInfoMrtdOffset] ^= 1;  // MRTD: outside the MAC, bound by TEE_INFO_HASH
  EXPECT_NE(refused(r).message().find("TEE_INFO_HASH"), std::string::npos) << refused(r);
  r = good;
  r[kTdTeeTcbInfoOffset + 8] ^= 1;  // TEE_TCB_SVN: bound by TEE_TCB_INFO_HASH
  EXPECT_NE(refused(r).message().find("TEE_TCB_INFO_HASH"), std::string::npos) << refused(r);
  r = good;
  r[0] = 0x00;  // REPORTTYPE: SGX
  EXPECT_EQ(refused(r).code(), absl::StatusCode::kInvalidArgument);
  r = good;
  r.pop_back();
  EXPECT_EQ(refused(r).code(), absl::StatusCode::kInvalidArgument);
  // A TDREPORT of another partition (another MAC key) is refused too.
  auto other = GuestRequestServer::Create(nullptr, TdFixture::Identity());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->CheckTdReport(good).code(), absl::StatusCode::kPermissionDenied);
  // The SNP personality quotes nothing.
  GuestRequestServer snp(nullptr, PartitionIdentity(), TestKeys());
  EXPECT_EQ(snp.CheckTdReport(good).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pv::attest::simsp
