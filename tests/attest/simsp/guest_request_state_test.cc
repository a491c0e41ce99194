// The persisted per-partition state of the simulated secure processor
// (attest/simsp/guest_request_state.h): round trip, a restored server continues the sequence
// numbers (a replay of a message answered before the restart is refused), wiped keys stay
// wiped, the file is 0600, and a damaged file is refused with a clear error.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <openssl/evp.h>

#include "attest/common/bytes.h"
#include "attest/simsp/guest_request_server.h"
#include "attest/simsp/guest_request_state.h"

namespace pv::attest::simsp {
namespace {

namespace ap = pv::attest_proto;

std::string StatePath() {
  char tmpl[] = "/tmp/simsp-state-XXXXXX";
  static std::string dir = ::mkdtemp(tmpl);
  (void)std::atexit([] { std::filesystem::remove_all(dir); });
  return dir + "/simulated-sp-state.bin";
}

std::array<Vmpck, 4> Keys() {
  std::array<Vmpck, 4> k;
  for (int i = 0; i < 4; ++i) k[i].fill(static_cast<uint8_t>(0x30 + i));
  return k;
}

PartitionIdentity TdxIdentity() {
  PartitionIdentity id;
  id.tdx_personality = true;
  id.mrtd.fill(0x3D);
  id.host_data.fill(0x48);
  id.td_attributes = 1;
  return id;
}

std::vector<uint8_t> Request(uint64_t seqno, unsigned vmpck = 0) {
  return BuildGuestMessage(Keys()[vmpck], vmpck, seqno, ap::kMsgSimTdReportReq,
                           std::vector<uint8_t>(64, 0x77));
}

TEST(GuestRequestState, EncodeParseRoundTrip) {
  GuestRequestState s;
  s.vmpck[2].fill(0x99);
  s.wiped[1] = true;
  s.next_seqno = {1, 3, 5, 7};
  s.report_id.fill(0x11);
  s.td_mac_key.fill(0x22);
  s.tdx_personality = true;
  s.mrtd.fill(0x33);
  s.policy = 0x30000;
  s.image_id.fill(0x44);
  const std::vector<uint8_t> bytes = EncodeGuestRequestState(s);
  ASSERT_EQ(bytes.size(), kGuestRequestStateSize);
  auto parsed = ParseGuestRequestState(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(EncodeGuestRequestState(*parsed), bytes);
  EXPECT_TRUE(parsed->wiped[1]);
  EXPECT_EQ(parsed->next_seqno[3], 7u);
}

TEST(GuestRequestState, DamagedFilesAreRefused) {
  GuestRequestState s;
  std::vector<uint8_t> good = EncodeGuestRequestState(s);
  auto message = [](std::vector<uint8_t> b) {
    return std::string(ParseGuestRequestState(b).status().message());
  };
  std::vector<uint8_t> b = good;
  b.pop_back();
  EXPECT_NE(message(b).find("647 bytes, expected 648"), std::string::npos) << message(b);
  b = good;
  b[0] = 'X';
  EXPECT_NE(message(b).find("magic"), std::string::npos);
  b = good;
  b[300] ^= 1;  // a byte of MRTD: the checksum catches it
  EXPECT_NE(message(b).find("checksum"), std::string::npos);
  // An even sequence number (a response's) with a consistent checksum is still refused.
  s.next_seqno[0] = 2;
  EXPECT_NE(message(EncodeGuestRequestState(s)).find("sequence number of VMPCK0 is 2"),
            std::string::npos);
}

TEST(GuestRequestState, RestoredServerContinuesAndRefusesReplays) {
  const std::string path = StatePath();
  {
    GuestRequestServer server(nullptr, TdxIdentity(), Keys());
    ASSERT_TRUE(server.PersistTo(path).ok());
    ASSERT_TRUE(server.Handle(Request(1)).ok());
    ASSERT_TRUE(server.Handle(Request(3)).ok());
    // A bit flip on VMPCK1 wipes it; the wipe is persisted too.
    std::vector<uint8_t> bad = Request(1, 1);
    bad[100] ^= 1;
    EXPECT_FALSE(server.Handle(bad).ok());
  }
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto restored = GuestRequestServer::Restore(nullptr, path);
  ASSERT_TRUE(restored.ok()) << restored.status();
  // The numbers continue where they were (3 was answered, so 5 is next) ...
  auto next = (*restored)->Handle(Request(5));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_TRUE((*restored)->VmpckWiped(1));
  EXPECT_EQ((*restored)->Handle(Request(1, 1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // ... and after another restart, that message is a replay (and wipes VMPCK0 for good).
  auto again = GuestRequestServer::Restore(nullptr, path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->Handle(Request(5)).status().code(), absl::StatusCode::kPermissionDenied);

  // The restored TDX module keeps its MAC key: its TDREPORT verifies after another restore.
  ap::GuestMsgHeader h;
  std::memcpy(&h, next->data(), sizeof(h));
  std::vector<uint8_t> plain(h.msg_sz);
  ASSERT_TRUE(GuestMsgOpen(
      Keys()[0], h.msg_seqno, std::span<const uint8_t>(next->data() + ap::kAadOffset, ap::kAadSize),
      std::span<const uint8_t>(next->data() + sizeof(h), h.msg_sz), h.authtag, plain.data()));
  const std::vector<uint8_t> tdreport(plain.begin() + sizeof(ap::ReportResponseHeader),
                                      plain.end());
  auto third = GuestRequestServer::Restore(nullptr, path);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE((*third)->CheckTdReport(tdreport).ok());
  EXPECT_EQ(std::vector<uint8_t>(tdreport.begin() + kTdInfoMrtdOffset,
                                 tdreport.begin() + kTdInfoMrtdOffset + 48),
            std::vector<uint8_t>(48, 0x3D));
}

// The payload of the response to `message` (sealed with Keys()[0]).
std::vector<uint8_t> Open(const std::vector<uint8_t>& message) {
  ap::GuestMsgHeader h;
  std::memcpy(&h, message.data(), sizeof(h));
  std::vector<uint8_t> plain(h.msg_sz);
  EXPECT_TRUE(GuestMsgOpen(Keys()[0], h.msg_seqno,
                           std::span<const uint8_t>(message.data() + ap::kAadOffset, ap::kAadSize),
                           std::span<const uint8_t>(message.data() + sizeof(h), h.msg_sz),
                           h.authtag, plain.data()));
  return plain;
}

std::vector<uint8_t> Sha384(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(48);
  unsigned int len = 48;
  EVP_Digest(in.data(), in.size(), out.data(), &len, EVP_sha384(), nullptr);
  return out;
}

// The simulated TDX module's RTMRs: extended with SHA-384(RTMR || data), carried by every later
// TDREPORT (TDINFO.RTMR, covered by the MAC), kept across a restore; a bad index or size is
// answered with an error status and changes nothing.
TEST(GuestRequestState, RtmrExtensionsReachTheTdReportAndArePersisted) {
  const std::string path = StatePath() + ".rtmr";
  std::vector<uint8_t> extend(ap::kRtmrExtendRequestSize, 0xAB);
  std::memset(extend.data(), 0, 8);
  extend[0] = 2;  // RTMR2
  std::vector<uint8_t> expected(48, 0);
  expected.insert(expected.end(), extend.begin() + 8, extend.end());
  expected = Sha384(expected);
  {
    GuestRequestServer server(nullptr, TdxIdentity(), Keys());
    ASSERT_TRUE(server.PersistTo(path).ok());
    auto rsp = server.Handle(BuildGuestMessage(Keys()[0], 0, 1, ap::kMsgSimRtmrExtendReq, extend));
    ASSERT_TRUE(rsp.ok()) << rsp.status();
    const std::vector<uint8_t> plain = Open(*rsp);
    ASSERT_EQ(plain.size(), sizeof(ap::ReportResponseHeader) + 48);
    EXPECT_EQ(plain[0], ap::kReportStatusSuccess);
    EXPECT_EQ(std::vector<uint8_t>(plain.begin() + 32, plain.end()), expected);
    std::vector<uint8_t> bad = extend;
    bad[0] = 4;  // no RTMR4
    auto refused = server.Handle(BuildGuestMessage(Keys()[0], 0, 3, ap::kMsgSimRtmrExtendReq, bad));
    ASSERT_TRUE(refused.ok());
    EXPECT_EQ(Open(*refused)[0], ap::kReportStatusInvalidParams);
    auto short_one = server.Handle(
        BuildGuestMessage(Keys()[0], 0, 5, ap::kMsgSimRtmrExtendReq, std::vector<uint8_t>(8, 0)));
    ASSERT_TRUE(short_one.ok());
    EXPECT_EQ(Open(*short_one)[0], ap::kReportStatusInvalidParams);
    const auto rtmr2 = server.Rtmr(2);
    EXPECT_EQ(std::vector<uint8_t>(rtmr2.begin(), rtmr2.end()), expected);
  }
  auto restored = GuestRequestServer::Restore(nullptr, path);
  ASSERT_TRUE(restored.ok()) << restored.status();
  auto rsp = (*restored)->Handle(Request(7));
  ASSERT_TRUE(rsp.ok()) << rsp.status();
  const std::vector<uint8_t> plain = Open(*rsp);
  const std::vector<uint8_t> tdreport(plain.begin() + sizeof(ap::ReportResponseHeader),
                                      plain.end());
  EXPECT_TRUE((*restored)->CheckTdReport(tdreport).ok());
  const auto at = tdreport.begin() + kTdInfoRtmrOffset;
  EXPECT_EQ(std::vector<uint8_t>(at + 96, at + 144), expected);
  EXPECT_EQ(std::vector<uint8_t>(at, at + 96), std::vector<uint8_t>(96, 0));
}

TEST(GuestRequestState, AFileThatIsNotAStateIsRefusedByName) {
  const std::string path = StatePath() + ".bogus";
  std::ofstream(path) << "not a state file";
  auto restored = GuestRequestServer::Restore(nullptr, path);
  ASSERT_FALSE(restored.ok());
  EXPECT_NE(restored.status().message().find(path), std::string::npos) << restored.status();
}

}  // namespace
}  // namespace pv::attest::simsp
