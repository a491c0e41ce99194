// The paravisor's guest-message channel (paravisor/attest/guest_msg.cpp, compiled for the host
// with the same Debian mbedTLS the firmware links) against an independent OpenSSL
// implementation of the envelope: byte-exact requests, every tampering refused, the key wiped
// after any failure and never used again.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "attest/evidence_format.h"
#include "attest/guest_msg.h"
#include "attest/secrets.h"
#include "openssl_snp_envelope.h"

namespace pv::attest {
namespace {

using testing_attest::Key;
using testing_attest::OpenMessage;
using testing_attest::SealMessage;

Key TestKey() {
  Key k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(0x40 + i * 7);
  return k;
}

class GuestMsgTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(channel_.Init(key_.data(), 0).ok()); }

  std::vector<uint8_t> Request(uint8_t type, const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> out(4096);
    Result<usize> n =
        channel_.SealRequest(type, payload.data(), payload.size(), out.data(), out.size());
    EXPECT_TRUE(n.ok()) << n.status().message();
    out.resize(n.ok() ? n.value() : 0);
    return out;
  }
  Result<usize> Respond(const std::vector<uint8_t>& message) {
    return channel_.OpenResponse(message.data(), message.size(), payload_, sizeof(payload_));
  }

  Key key_ = TestKey();
  GuestMessageChannel channel_;
  u8 payload_[4096];
};

TEST_F(GuestMsgTest, RequestIsByteExactAndResponseOpens) {
  std::vector<uint8_t> req_payload(96, 0);
  for (int i = 0; i < 64; ++i) req_payload[i] = static_cast<uint8_t>(i);
  const std::vector<uint8_t> req = Request(5, req_payload);
  ASSERT_EQ(req.size(), 96u + 96u);
  // The independent implementation reads it and would have produced the same bytes.
  auto opened = OpenMessage(key_, req);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->seqno, 1u);
  EXPECT_EQ(opened->type, 5);
  EXPECT_EQ(opened->vmpck, 0);
  EXPECT_EQ(opened->payload, req_payload);
  EXPECT_EQ(SealMessage(key_, 1, 5, 0, req_payload), req);

  std::vector<uint8_t> rsp_payload(0x20 + 1184, 0xab);
  ASSERT_TRUE(Respond(SealMessage(key_, 2, 6, 0, rsp_payload)).ok());
  EXPECT_EQ(std::memcmp(payload_, rsp_payload.data(), rsp_payload.size()), 0);
  EXPECT_EQ(channel_.last_seqno(), 2u);
  // Second exchange: request 3, response 4.
  auto second = OpenMessage(key_, Request(5, req_payload));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->seqno, 3u);
  EXPECT_TRUE(Respond(SealMessage(key_, 4, 6, 0, rsp_payload)).ok());
  EXPECT_EQ(channel_.last_seqno(), 4u);
}

// Every way a response can be wrong; each wipes the key and the next request is refused.
struct Tamper {
  const char* name;
  int kind;
};
class GuestMsgTamperTest : public GuestMsgTest, public ::testing::WithParamInterface<Tamper> {};

TEST_P(GuestMsgTamperTest, RefusedAndKeyWiped) {
  const std::vector<uint8_t> payload(0x20 + 1184, 0x33);
  // One good exchange first, so "replay" has an old response to replay.
  Request(5, std::vector<uint8_t>(96, 0));
  const std::vector<uint8_t> old = SealMessage(key_, 2, 6, 0, payload);
  ASSERT_TRUE(Respond(old).ok());
  Request(5, std::vector<uint8_t>(96, 0));
  std::vector<uint8_t> rsp = SealMessage(key_, 4, 6, 0, payload);
  switch (GetParam().kind) {
    case 0:
      rsp[0x34] ^= 1;
      break;  // header bit (msg_type, in the AAD)
    case 1:
      rsp[0x3e] ^= 0x40;
      break;  // reserved header bit (AAD)
    case 2:
      rsp[0x60 + 100] ^= 1;
      break;  // payload bit
    case 3:
      rsp[5] ^= 0x80;
      break;  // tag bit
    case 4:
      rsp = old;
      break;  // replay of the previous response
    case 5:
      rsp = SealMessage(key_, 6, 6, 0, payload);
      break;  // seqno last + 4
    case 6:
      rsp = SealMessage(key_, 3, 6, 0, payload);
      break;  // seqno = the request's
    case 7:
      rsp = SealMessage(key_, 4, 6, 1, payload);
      break;  // another VMPCK index
    case 8:
      rsp = SealMessage(key_, 4, 8, 0, payload);
      break;  // wrong response type
    case 9:
      rsp.resize(95);
      break;  // shorter than a header
    case 10:
      rsp.resize(4097, 0);
      break;  // larger than a page
    case 11:
      rsp[0x36] = 0xff;
      rsp[0x37] = 0x0f;
      break;  // msg_sz past the end
    case 12:
      rsp[0x28] = 1;
      break;  // rsvd1, not covered by the tag
    case 13:
      rsp[20] = 1;
      break;  // authtag[16..31] must be zero
    default: {
      Key other = key_;
      other[0] ^= 1;
      rsp = SealMessage(other, 4, 6, 0, payload);  // sealed with another key
    }
  }
  EXPECT_FALSE(Respond(rsp).ok()) << GetParam().name;
  EXPECT_FALSE(channel_.usable());
  // The key is gone: no request can be built any more, and a correct response is refused too.
  std::vector<uint8_t> out(4096);
  EXPECT_FALSE(channel_.SealRequest(5, payload.data(), 96, out.data(), out.size()).ok());
  EXPECT_FALSE(Respond(SealMessage(key_, 4, 6, 0, payload)).ok());
}

INSTANTIATE_TEST_SUITE_P(AllTampering, GuestMsgTamperTest,
                         ::testing::Values(Tamper{"header_bit", 0}, Tamper{"reserved_aad_bit", 1},
                                           Tamper{"payload_bit", 2}, Tamper{"tag_bit", 3},
                                           Tamper{"replay", 4}, Tamper{"seqno_ahead", 5},
                                           Tamper{"seqno_of_request", 6}, Tamper{"other_vmpck", 7},
                                           Tamper{"wrong_type", 8}, Tamper{"short", 9},
                                           Tamper{"oversize", 10}, Tamper{"msg_sz_past_end", 11},
                                           Tamper{"rsvd1_not_zero", 12},
                                           Tamper{"tag_tail_not_zero", 13},
                                           Tamper{"other_key", 14}),
                         [](const ::testing::TestParamInfo<Tamper>& i) { return i.param.name; });

TEST_F(GuestMsgTest, OversizeRequestRefusedAndKeyWiped) {
  std::vector<uint8_t> big(4096 - 96 + 1, 0);
  std::vector<uint8_t> out(8192);
  EXPECT_FALSE(channel_.SealRequest(5, big.data(), big.size(), out.data(), out.size()).ok());
  EXPECT_FALSE(channel_.usable());
}

TEST_F(GuestMsgTest, ResponseWithoutRequestRefused) {
  EXPECT_FALSE(Respond(SealMessage(key_, 2, 6, 0, std::vector<uint8_t>(32))).ok());
  EXPECT_FALSE(channel_.usable());
}

TEST(SecretsPageTest, TakesVmpck0AndRefusesBadPages) {
  std::vector<uint8_t> page(4096, 0);
  page[0] = 3;
  for (int i = 0; i < 32; ++i) page[0x20 + i] = static_cast<uint8_t>(i + 1);
  u8 key[32];
  ASSERT_TRUE(ParseSecretsPage(page.data(), page.size(), 0, key).ok());
  EXPECT_EQ(key[0], 1);
  EXPECT_EQ(key[31], 32);
  EXPECT_FALSE(ParseSecretsPage(page.data(), page.size(), 1, key).ok());  // VMPCK1 is zero
  EXPECT_FALSE(ParseSecretsPage(page.data(), page.size(), 4, key).ok());  // no VMPCK4
  EXPECT_FALSE(ParseSecretsPage(page.data(), 4095, 0, key).ok());
  page[0] = 7;
  EXPECT_FALSE(ParseSecretsPage(page.data(), page.size(), 0, key).ok());
}

TEST(EvidenceFormatTest, ReportResponseBindsReportData) {
  u8 data[64];
  for (int i = 0; i < 64; ++i) data[i] = static_cast<u8>(i);
  std::vector<uint8_t> rsp(0x20 + 1184, 0);
  rsp[4] = 1184 & 0xff;
  rsp[5] = 1184 >> 8;
  rsp[0x20] = 5;
  std::memcpy(rsp.data() + 0x20 + 0x50, data, 64);
  u8 report[1184];
  EXPECT_TRUE(ParseReportResponse(rsp.data(), rsp.size(), data, 0, report).ok());
  data[0] ^= 1;
  EXPECT_FALSE(ParseReportResponse(rsp.data(), rsp.size(), data, 0, report).ok());
  data[0] ^= 1;
  EXPECT_FALSE(ParseReportResponse(rsp.data(), rsp.size(), data, 1, report).ok());  // VMPL
  EXPECT_FALSE(ParseReportResponse(rsp.data(), rsp.size() - 1, data, 0, report).ok());
  rsp[0] = 0x16;
  EXPECT_FALSE(ParseReportResponse(rsp.data(), rsp.size(), data, 0, report).ok());
}

TEST(EvidenceFormatTest, QuoteBuffer) {
  u8 tdreport[1024] = {};
  std::vector<uint8_t> buf(24 + 2000, 0);
  ASSERT_TRUE(BuildQuoteBuffer(tdreport, buf.data(), buf.size()).ok());
  EXPECT_FALSE(ParseQuoteBuffer(buf.data(), buf.size()).ok());  // still "in flight"
  QuoteBufferHeader h{1, 0, 1024, 100};
  std::memcpy(buf.data(), &h, sizeof(h));
  buf[24] = 4;
  buf[26] = 2;
  buf[28] = 0x81;
  Result<QuoteView> q = ParseQuoteBuffer(buf.data(), buf.size());
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q.value().offset, 24u);
  EXPECT_EQ(q.value().length, 100u);
  h.out_len = 2001;
  std::memcpy(buf.data(), &h, sizeof(h));
  EXPECT_FALSE(ParseQuoteBuffer(buf.data(), buf.size()).ok());
  h.out_len = 100;
  std::memcpy(buf.data(), &h, sizeof(h));
  buf[24] = 3;
  EXPECT_FALSE(ParseQuoteBuffer(buf.data(), buf.size()).ok());
}

}  // namespace
}  // namespace pv::attest
