// The simulated AMD-SP (attest/simsp): key hierarchy accepted by the project's SNP verifier
// only with an explicit allowed root, and the guest-request server against a guest that follows
// the protocol and one that does not (bit flips, replays, old sequence numbers, wrong VMPCK,
// oversize and malformed messages).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <openssl/evp.h>

#include "attest/cli/commands.h"
#include "attest/simsp/guest_request_server.h"
#include "attest/snp/snp_report.h"

namespace pv::attest::simsp {
namespace {

namespace ap = pv::attest_proto;

// RSA-4096 generation is slow: one hierarchy for the whole binary.
const SimulatedAmdSp& Sp() {
  static const SimulatedAmdSp* sp = [] {
    char tmpl[] = "/tmp/simsp-test-XXXXXX";
    static std::string dir = ::mkdtemp(tmpl);
    std::atexit([] { std::filesystem::remove_all(dir); });
    auto created = SimulatedAmdSp::LoadOrCreate(dir + "/sp");
    EXPECT_TRUE(created.ok()) << created.status();
    return created->release();
  }();
  return *sp;
}

std::array<Vmpck, 4> TestKeys() {
  std::array<Vmpck, 4> k;
  for (int i = 0; i < 4; ++i) k[i].fill(static_cast<uint8_t>(0x10 + i));
  return k;
}

PartitionIdentity TestIdentity() {
  PartitionIdentity id;
  id.measurement.fill(0x4D);
  id.host_data.fill(0x48);
  id.policy = 0x30000;
  return id;
}

std::vector<uint8_t> ReportRequest(uint8_t fill, uint32_t vmpl = 0, uint32_t key_sel = 0) {
  ap::ReportRequest req{};
  std::memset(req.user_data, fill, sizeof(req.user_data));
  req.vmpl = vmpl;
  req.key_sel = key_sel;
  std::vector<uint8_t> out(sizeof(req));
  std::memcpy(out.data(), &req, sizeof(req));
  return out;
}

// The guest side: checks the response header and decrypts it.
std::vector<uint8_t> OpenResponse(const std::vector<uint8_t>& rsp, const Vmpck& key,
                                  uint64_t expect_seqno, uint8_t type = ap::kMsgReportRsp) {
  ap::GuestMsgHeader h;
  EXPECT_GE(rsp.size(), sizeof(h));
  std::memcpy(&h, rsp.data(), sizeof(h));
  EXPECT_EQ(h.msg_seqno, expect_seqno);
  EXPECT_EQ(h.msg_type, type);
  EXPECT_EQ(h.msg_sz, rsp.size() - sizeof(h));
  std::vector<uint8_t> plain(h.msg_sz);
  EXPECT_TRUE(GuestMsgOpen(
      key, h.msg_seqno, std::span<const uint8_t>(rsp.data() + ap::kAadOffset, ap::kAadSize),
      std::span<const uint8_t>(rsp.data() + sizeof(h), h.msg_sz), h.authtag, plain.data()));
  return plain;
}

std::string WriteTemp(const std::vector<uint8_t>& bytes) {
  char tmpl[] = "/tmp/simsp-report-XXXXXX";
  int fd = ::mkstemp(tmpl);
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  return tmpl;
}

TEST(SimulatedAmdSp, HierarchyIsReloadedNotRegenerated) {
  const SimulatedAmdSp& sp = Sp();
  auto again = SimulatedAmdSp::LoadOrCreate(sp.dir());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->chip_id(), sp.chip_id());
}

TEST(GuestRequestServer, ReportVerifiesOnlyWithTheSimulatedRootAllowed) {
  const auto keys = TestKeys();
  GuestRequestServer server(&Sp(), TestIdentity(), keys);
  auto rsp =
      server.Handle(BuildGuestMessage(keys[0], 0, 1, ap::kMsgReportReq, ReportRequest(0xAB)));
  ASSERT_TRUE(rsp.ok()) << rsp.status();
  std::vector<uint8_t> plain = OpenResponse(*rsp, keys[0], 2);
  ASSERT_EQ(plain.size(), sizeof(ap::ReportResponseHeader) + ap::kAttestationReportSize);
  uint32_t status, size;
  std::memcpy(&status, plain.data(), 4);
  std::memcpy(&size, plain.data() + 4, 4);
  EXPECT_EQ(status, ap::kReportStatusSuccess);
  EXPECT_EQ(size, ap::kAttestationReportSize);
  std::vector<uint8_t> report(plain.begin() + sizeof(ap::ReportResponseHeader), plain.end());

  auto parsed = snp::ParseSnpReport(report);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->version, 5u);
  EXPECT_EQ(std::vector<uint8_t>(report.begin() + 0x50, report.begin() + 0x90),
            std::vector<uint8_t>(64, 0xAB));
  EXPECT_EQ(std::vector<uint8_t>(report.begin() + 0x90, report.begin() + 0xC0),
            std::vector<uint8_t>(48, 0x4D));
  EXPECT_EQ(std::vector<uint8_t>(report.begin() + 0xC0, report.begin() + 0xE0),
            std::vector<uint8_t>(32, 0x48));

  cli::SnpFiles files;
  files.report = WriteTemp(report);
  files.vek = Sp().VcekPath();
  files.chain = Sp().ChainPath();
  const UnixTime now = static_cast<UnixTime>(::time(nullptr));
  // Default trust: the simulated ARK is not pinned, so the chain fails.
  auto by_default = cli::VerifySnpFiles(files, now, policy::SnpPolicy());
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  EXPECT_FALSE(by_default->Accepted());
  ASSERT_NE(by_default->Find("chain"), nullptr);
  EXPECT_FALSE(by_default->Find("chain")->passed) << by_default->Find("chain")->value;
  // Explicitly allowed: every check passes (signature, chain, TCB vs VCEK, chip id).
  files.allow_roots = {Sp().ArkPath()};
  auto allowed = cli::VerifySnpFiles(files, now, policy::SnpPolicy());
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  for (const auto& c : allowed->checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.value;
  EXPECT_TRUE(allowed->Accepted());
  ::unlink(files.report.c_str());
}

TEST(GuestRequestServer, SequenceAdvancesByTwoAndEachVmpckHasItsOwn) {
  const auto keys = TestKeys();
  GuestRequestServer server(&Sp(), TestIdentity(), keys);
  ASSERT_TRUE(
      server.Handle(BuildGuestMessage(keys[0], 0, 1, ap::kMsgReportReq, ReportRequest(1))).ok());
  auto second =
      server.Handle(BuildGuestMessage(keys[0], 0, 3, ap::kMsgReportReq, ReportRequest(2)));
  ASSERT_TRUE(second.ok()) << second.status();
  OpenResponse(*second, keys[0], 4);
  auto other =
      server.Handle(BuildGuestMessage(keys[2], 2, 1, ap::kMsgReportReq, ReportRequest(3, 2)));
  ASSERT_TRUE(other.ok()) << other.status();
  OpenResponse(*other, keys[2], 2);
}

TEST(GuestRequestServer, BitFlipIsRefusedAndWipesTheKey) {
  const auto keys = TestKeys();
  for (size_t offset : {size_t{0x00}, size_t{0x34}, size_t{0x3D}, size_t{0x60}, size_t{0xA0}}) {
    GuestRequestServer server(&Sp(), TestIdentity(), keys);
    auto msg = BuildGuestMessage(keys[0], 0, 1, ap::kMsgReportReq, ReportRequest(7));
    msg[offset] ^= 0x01;
    auto rsp = server.Handle(msg);
    ASSERT_FALSE(rsp.ok()) << "offset " << offset;
    if (offset == 0x3D) {
      EXPECT_EQ(rsp.status().code(), absl::StatusCode::kInvalidArgument);  // reserved byte
      continue;
    }
    EXPECT_EQ(rsp.status().code(), absl::StatusCode::kPermissionDenied) << rsp.status();
    EXPECT_TRUE(server.VmpckWiped(0));
    // Hardware that lost sync answers nothing more with that key, even a valid message.
    auto after =
        server.Handle(BuildGuestMessage(keys[0], 0, 1, ap::kMsgReportReq, ReportRequest(7)));
    EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(std::string(after.status().message()).find("\x10\x10"), std::string::npos);
  }
}

TEST(GuestRequestServer, ReplayAndOldSequenceNumbersAreRefused) {
  const auto keys = TestKeys();
  GuestRequestServer server(&Sp(), TestIdentity(), keys);
  auto first = BuildGuestMessage(keys[0], 0, 1, ap::kMsgReportReq, ReportRequest(1));
  ASSERT_TRUE(server.Handle(first).ok());
  auto replay = server.Handle(first);
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(server.VmpckWiped(0));

  GuestRequestServer fresh(&Sp(), TestIdentity(), keys);
  ASSERT_TRUE(
      fresh.Handle(BuildGuestMessage(keys[1], 1, 1, ap::kMsgReportReq, ReportRequest(1, 1))).ok());
  // The response's number (2) is not a valid request number either.
  auto old = fresh.Handle(BuildGuestMessage(keys[1], 1, 2, ap::kMsgReportReq, ReportRequest(1, 1)));
  EXPECT_EQ(old.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(fresh.VmpckWiped(1));
  EXPECT_FALSE(fresh.VmpckWiped(0));
}

TEST(GuestRequestServer, WrongVmpckIndexOrKeyIsRefused) {
  const auto keys = TestKeys();
  GuestRequestServer server(&Sp(), TestIdentity(), keys);
  auto bad_index = BuildGuestMessage(keys[0], 0, 1, ap::kMsgReportReq, ReportRequest(1));
  bad_index[0x3C] = 4;
  EXPECT_EQ(server.Handle(bad_index).status().code(), absl::StatusCode::kInvalidArgument);
  // Encrypted with VMPCK1 but labelled VMPCK0: authentication fails.
  auto wrong_key = BuildGuestMessage(keys[1], 0, 1, ap::kMsgReportReq, ReportRequest(1));
  EXPECT_EQ(server.Handle(wrong_key).status().code(), absl::StatusCode::kPermissionDenied);
  // A VMPCK1 requester may not ask for a VMPL0 report.
  GuestRequestServer s2(&Sp(), TestIdentity(), keys);
  auto rsp = s2.Handle(BuildGuestMessage(keys[1], 1, 1, ap::kMsgReportReq, ReportRequest(1, 0)));
  ASSERT_TRUE(rsp.ok()) << rsp.status();
  std::vector<uint8_t> plain = OpenResponse(*rsp, keys[1], 2);
  uint32_t status;
  std::memcpy(&status, plain.data(), 4);
  EXPECT_EQ(status, ap::kReportStatusInvalidParams);
  // VLEK requested: none exists.
  auto vlek =
      s2.Handle(BuildGuestMessage(keys[1], 1, 3, ap::kMsgReportReq, ReportRequest(1, 1, 2)));
  ASSERT_TRUE(vlek.ok()) << vlek.status();
  plain = OpenResponse(*vlek, keys[1], 4);
  std::memcpy(&status, plain.data(), 4);
  EXPECT_EQ(status, ap::kReportStatusInvalidKeySel);
}

TEST(GuestRequestServer, OversizeTruncatedAndInconsistentMessagesAreRefused) {
  const auto keys = TestKeys();
  GuestRequestServer server(&Sp(), TestIdentity(), keys);
  std::vector<uint8_t> big(4097, 0);
  EXPECT_EQ(server.Handle(big).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> small(95, 0);
  EXPECT_EQ(server.Handle(small).status().code(), absl::StatusCode::kInvalidArgument);
  auto msg = BuildGuestMessage(keys[0], 0, 1, ap::kMsgReportReq, ReportRequest(1));
  msg.pop_back();  // msg_sz no longer matches
  EXPECT_EQ(server.Handle(msg).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(server.VmpckWiped(0));  // nothing was authenticated or consumed
  auto ok = server.Handle(BuildGuestMessage(keys[0], 0, 1, ap::kMsgReportReq, ReportRequest(1)));
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST(GuestRequestServer, SecretsPageCarriesTheVmpcks) {
  const auto keys = TestKeys();
  GuestRequestServer server(&Sp(), TestIdentity(), keys);
  std::vector<uint8_t> page = server.SecretsPage();
  ASSERT_EQ(page.size(), 4096u);
  ap::SecretsPage sp;
  std::memcpy(&sp, page.data(), sizeof(sp));
  EXPECT_EQ(sp.version, ap::kSecretsPageVersion);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(std::memcmp(sp.vmpck[i], keys[i].data(), 32), 0);
}

TEST(GuestRequestServer, TdxPersonalityAnswersTdReportsOnly) {
  const auto keys = TestKeys();
  PartitionIdentity id = TestIdentity();
  id.tdx_personality = true;
  id.mrtd.fill(0x7D);
  auto server = GuestRequestServer::Create(&Sp(), id);
  ASSERT_TRUE(server.ok()) << server.status();
  // Keys are random here: read them back from the secrets page, as the paravisor would.
  ap::SecretsPage page;
  std::memcpy(&page, (*server)->SecretsPage().data(), sizeof(page));
  Vmpck k0;
  std::memcpy(k0.data(), page.vmpck[0], 32);
  std::vector<uint8_t> report_data(64, 0xCD);
  auto rsp = (*server)->Handle(BuildGuestMessage(k0, 0, 1, ap::kMsgSimTdReportReq, report_data));
  ASSERT_TRUE(rsp.ok()) << rsp.status();
  std::vector<uint8_t> plain = OpenResponse(*rsp, k0, 2, ap::kMsgSimTdReportRsp);
  ASSERT_EQ(plain.size(), sizeof(ap::ReportResponseHeader) + ap::kTdReportSize);
  std::vector<uint8_t> td(plain.begin() + sizeof(ap::ReportResponseHeader), plain.end());
  EXPECT_EQ(td[0], 0x81);
  EXPECT_EQ(
      std::vector<uint8_t>(td.begin() + kTdReportDataOffset, td.begin() + kTdReportDataOffset + 64),
      report_data);
  EXPECT_EQ(
      std::vector<uint8_t>(td.begin() + kTdInfoMrtdOffset, td.begin() + kTdInfoMrtdOffset + 48),
      std::vector<uint8_t>(48, 0x7D));
  // TEE_INFO_HASH = SHA-384(TDINFO); the MAC covers it, so the binding holds.
  uint8_t info_hash[48];
  unsigned int len = 48;
  EVP_Digest(td.data() + kTdInfoOffset, 512, info_hash, &len, EVP_sha384(), nullptr);
  EXPECT_EQ(std::memcmp(info_hash, td.data() + 80, 48), 0);
  EXPECT_TRUE((*server)->VerifyTdReportMac(td));
  td[kTdReportDataOffset] ^= 1;
  EXPECT_FALSE((*server)->VerifyTdReportMac(td));
  // An SNP report request is not answered by the TDX personality (and consumes the number).
  auto snp = (*server)->Handle(BuildGuestMessage(k0, 0, 3, ap::kMsgReportReq, ReportRequest(1)));
  EXPECT_EQ(snp.status().code(), absl::StatusCode::kUnimplemented);
  // And the SNP personality does not answer TD report requests.
  GuestRequestServer snp_server(&Sp(), TestIdentity(), keys);
  auto td_req =
      snp_server.Handle(BuildGuestMessage(keys[0], 0, 1, ap::kMsgSimTdReportReq, report_data));
  EXPECT_EQ(td_req.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(GuestRequestServer, TdReportRequestsAreRefusedWhenTamperedOrReplayed) {
  const auto keys = TestKeys();
  PartitionIdentity id = TestIdentity();
  id.tdx_personality = true;
  const std::vector<uint8_t> report_data(64, 0x42);
  {
    GuestRequestServer server(nullptr, id, keys);
    auto first =
        server.Handle(BuildGuestMessage(keys[0], 0, 1, ap::kMsgSimTdReportReq, report_data));
    ASSERT_TRUE(first.ok()) << first.status();
    // The same message again (old sequence number): refused, VMPCK0 wiped.
    auto replay =
        server.Handle(BuildGuestMessage(keys[0], 0, 1, ap::kMsgSimTdReportReq, report_data));
    EXPECT_EQ(replay.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_TRUE(server.VmpckWiped(0));
    auto after =
        server.Handle(BuildGuestMessage(keys[0], 0, 3, ap::kMsgSimTdReportReq, report_data));
    EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    GuestRequestServer server(nullptr, id, keys);
    std::vector<uint8_t> msg =
        BuildGuestMessage(keys[0], 0, 1, ap::kMsgSimTdReportReq, report_data);
    msg.back() ^= 1;  // one ciphertext bit of the REPORTDATA
    EXPECT_EQ(server.Handle(msg).status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_TRUE(server.VmpckWiped(0));
  }
}

}  // namespace
}  // namespace pv::attest::simsp
