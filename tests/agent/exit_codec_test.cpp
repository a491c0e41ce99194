// Cross-checks the firmware's freestanding flatbuffers codec (protocol/fblite) against
// flatc-generated code and the official Verifier, in both directions, and checks that it never
// accepts a buffer the official Verifier rejects.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "exit_proxy_generated.h"
#include "fblite/exit_codec.h"
#include "flatbuffers/flatbuffers.h"
#include "ring/ring_layout.h"

namespace pv::proxy {
namespace {

namespace fb = pv::proxy::fb;

struct alignas(8) Buffer {
  uint8_t bytes[kMaxMessageSize];
};

bool OfficialVerify(const uint8_t* data, size_t size) {
  flatbuffers::Verifier verifier(data, size);
  return fb::VerifyMessageBuffer(verifier);
}

const fb::Message* VerifiedMessage(const Buffer& b, uint32_t size) {
  EXPECT_GT(size, 0u);
  EXPECT_TRUE(OfficialVerify(b.bytes, size));
  return fb::GetMessage(b.bytes);
}

TEST(FbliteToFlatcTest, VersionRequest) {
  Buffer b;
  const uint32_t n = MessageEncoder(b.bytes, sizeof(b.bytes)).VersionRequest(42, 3, 1, 2, 4);
  const fb::Message* m = VerifiedMessage(b, n);
  EXPECT_EQ(m->id(), 42u);
  EXPECT_EQ(m->vcpu(), 3u);
  ASSERT_EQ(m->body_type(), fb::Body::VersionRequest);
  EXPECT_EQ(m->body_as_VersionRequest()->min_version(), 1);
  EXPECT_EQ(m->body_as_VersionRequest()->max_version(), 2);
  EXPECT_EQ(m->body_as_VersionRequest()->vcpu_count(), 4);
}

TEST(FbliteToFlatcTest, IoAndMmioAccess) {
  Buffer b;
  uint32_t n = MessageEncoder(b.bytes, sizeof(b.bytes)).IoAccess(7, 0, 0x2f8, 1, true, 0x41);
  const fb::Message* m = VerifiedMessage(b, n);
  ASSERT_EQ(m->body_type(), fb::Body::IoAccess);
  EXPECT_EQ(m->body_as_IoAccess()->port(), 0x2f8);
  EXPECT_EQ(m->body_as_IoAccess()->size(), 1);
  EXPECT_TRUE(m->body_as_IoAccess()->write());
  EXPECT_EQ(m->body_as_IoAccess()->value(), 0x41u);

  n = MessageEncoder(b.bytes, sizeof(b.bytes))
          .MmioAccess(0xffffffffffffull, 1, 0xfeb00008ull, 8, false, 0x1122334455667788ull);
  m = VerifiedMessage(b, n);
  ASSERT_EQ(m->body_type(), fb::Body::MmioAccess);
  EXPECT_EQ(m->id(), 0xffffffffffffull);
  EXPECT_EQ(m->body_as_MmioAccess()->address(), 0xfeb00008ull);
  EXPECT_EQ(m->body_as_MmioAccess()->size(), 8);
  EXPECT_FALSE(m->body_as_MmioAccess()->write());
  EXPECT_EQ(m->body_as_MmioAccess()->value(), 0x1122334455667788ull);
}

TEST(FbliteToFlatcTest, ConsoleOutputCarriesBytes) {
  Buffer b;
  const char text[] = "hello\n\0binary\xff";
  const uint32_t n =
      MessageEncoder(b.bytes, sizeof(b.bytes)).ConsoleOutput(9, 0, text, sizeof(text) - 1);
  const fb::Message* m = VerifiedMessage(b, n);
  ASSERT_EQ(m->body_type(), fb::Body::ConsoleOutput);
  const auto* data = m->body_as_ConsoleOutput()->data();
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(data->data()), data->size()),
            std::string(text, sizeof(text) - 1));
}

TEST(FbliteToFlatcTest, GuestStoppedStatisticsAttestationAndError) {
  Buffer b;
  uint32_t n = MessageEncoder(b.bytes, sizeof(b.bytes)).GuestStopped(1, 0, StopReason::kFault, 13);
  const fb::Message* m = VerifiedMessage(b, n);
  EXPECT_EQ(m->body_as_GuestStopped()->reason(), fb::StopReason::Fault);
  EXPECT_EQ(m->body_as_GuestStopped()->code(), 13u);

  const uint32_t reasons[] = {0x72, 0x7b, 0x81};
  const uint64_t counts[] = {2, 155, 1ull << 40};
  n = MessageEncoder(b.bytes, sizeof(b.bytes)).Statistics(2, 0, 160, 12, reasons, counts, 3);
  m = VerifiedMessage(b, n);
  const fb::Statistics* s = m->body_as_Statistics();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->total_exits(), 160u);
  EXPECT_EQ(s->proxied_exits(), 12u);
  ASSERT_EQ(s->counters()->size(), 3u);
  EXPECT_EQ(s->counters()->Get(1)->reason(), 0x7bu);
  EXPECT_EQ(s->counters()->Get(2)->count(), 1ull << 40);

  const uint8_t blob[] = {1, 2, 3, 4, 5};
  n = MessageEncoder(b.bytes, sizeof(b.bytes)).AttestationRequest(3, 0, blob, sizeof(blob));
  m = VerifiedMessage(b, n);
  EXPECT_EQ(m->body_as_AttestationRequest()->payload()->size(), 5u);

  n = MessageEncoder(b.bytes, sizeof(b.bytes)).Error(4, 0, ErrorCode::kNoDevice, "no such", 7);
  m = VerifiedMessage(b, n);
  EXPECT_EQ(m->body_as_Error()->code(), fb::ErrorCode::NoDevice);
  EXPECT_EQ(m->body_as_Error()->detail()->str(), "no such");
}

TEST(FbliteToFlatcTest, EncoderRefusesWhatDoesNotFit) {
  Buffer b;
  uint8_t big[kMaxMessageSize] = {};
  EXPECT_EQ(MessageEncoder(b.bytes, 32).IoAccess(1, 0, 1, 1, false, 0), 0u);
  EXPECT_EQ(MessageEncoder(b.bytes, sizeof(b.bytes)).ConsoleOutput(1, 0, big, sizeof(big)), 0u);
}

// flatc's builder -> fblite decoder.
std::vector<uint8_t> Build(
    const std::function<flatbuffers::Offset<fb::Message>(flatbuffers::FlatBufferBuilder&)>& make) {
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(make(builder), "PVXP");
  return std::vector<uint8_t>(builder.GetBufferPointer(),
                              builder.GetBufferPointer() + builder.GetSize());
}

DecodedMessage Decode(const std::vector<uint8_t>& bytes) {
  Buffer b;
  EXPECT_LE(bytes.size(), sizeof(b.bytes));
  std::memcpy(b.bytes, bytes.data(), bytes.size());
  DecodedMessage d;
  EXPECT_EQ(DecodeMessage(b.bytes, bytes.size(), sizeof(b.bytes), &d), DecodeStatus::kOk);
  // Pointers into `b` would dangle: the tests below only compare scalars and copy bytes first.
  d.bytes = nullptr;
  d.counters = nullptr;
  return d;
}

TEST(FlatcToFbliteTest, ResponsesTheFirmwareReads) {
  DecodedMessage d = Decode(Build([](auto& b) {
    return fb::CreateMessage(b, 77, 2, fb::Body::IoResult, fb::CreateIoResult(b, 0xabcd).Union());
  }));
  EXPECT_EQ(d.id, 77u);
  EXPECT_EQ(d.vcpu, 2u);
  EXPECT_EQ(d.type, static_cast<uint8_t>(MessageType::kIoResult));
  EXPECT_EQ(d.value, 0xabcdu);

  d = Decode(Build([](auto& b) {
    return fb::CreateMessage(b, 1, 0, fb::Body::MmioResult,
                             fb::CreateMmioResult(b, 0x8877665544332211ull).Union());
  }));
  EXPECT_EQ(d.value, 0x8877665544332211ull);

  d = Decode(Build([](auto& b) {
    return fb::CreateMessage(b, 5, 0, fb::Body::VersionResponse,
                             fb::CreateVersionResponse(b, 1).Union());
  }));
  EXPECT_EQ(d.version, 1);

  d = Decode(Build([](auto& b) {
    auto detail = b.CreateString("nope");
    return fb::CreateMessage(b, 6, 0, fb::Body::Error,
                             fb::CreateError(b, fb::ErrorCode::UnknownType, detail).Union());
  }));
  EXPECT_EQ(d.error_code, static_cast<uint16_t>(ErrorCode::kUnknownType));
  EXPECT_EQ(d.byte_count, 4u);
}

TEST(FlatcToFbliteTest, DefaultValuedFieldsAreOmittedAndReadAsDefaults) {
  // flatc omits fields equal to their default; the decoder must read them as 0.
  DecodedMessage d = Decode(Build([](auto& b) {
    return fb::CreateMessage(b, 0, 0, fb::Body::IoResult, fb::CreateIoResult(b, 0).Union());
  }));
  EXPECT_EQ(d.type, static_cast<uint8_t>(MessageType::kIoResult));
  EXPECT_EQ(d.value, 0u);
}

// Every message the codec can produce, for the mutation tests.
std::vector<std::vector<uint8_t>> SampleMessages() {
  std::vector<std::vector<uint8_t>> out;
  auto add = [&](auto encode) {
    Buffer b;
    MessageEncoder e(b.bytes, sizeof(b.bytes));
    const uint32_t n = encode(e);
    out.emplace_back(b.bytes, b.bytes + n);
  };
  const uint32_t reasons[] = {1, 2};
  const uint64_t counts[] = {3, 4};
  add([](MessageEncoder& e) { return e.VersionRequest(1, 0, 1, 1, 1); });
  add([](MessageEncoder& e) { return e.IoAccess(2, 0, 0x700, 4, false, 0); });
  add([](MessageEncoder& e) { return e.MmioAccess(3, 0, 0xfeb00000, 8, true, 5); });
  add([](MessageEncoder& e) { return e.ConsoleOutput(4, 0, "console line", 12); });
  add([](MessageEncoder& e) { return e.GuestStopped(5, 0, StopReason::kExited, 0); });
  add([&](MessageEncoder& e) { return e.Statistics(6, 0, 10, 2, reasons, counts, 2); });
  add([](MessageEncoder& e) { return e.Error(7, 0, ErrorCode::kMalformed, "bad", 3); });
  return out;
}

TEST(FbliteDecoderTest, NeverAcceptsWhatTheOfficialVerifierRejects) {
  std::mt19937 rng(12345);
  int accepted_mutants = 0;
  for (const std::vector<uint8_t>& original : SampleMessages()) {
    for (int round = 0; round < 4000; ++round) {
      Buffer b;
      std::memcpy(b.bytes, original.data(), original.size());
      uint32_t size = original.size();
      const int flips = 1 + rng() % 3;
      for (int f = 0; f < flips; ++f)
        b.bytes[rng() % size] ^= static_cast<uint8_t>(1 + rng() % 255);
      if (rng() % 4 == 0) size = rng() % (size + 1);  // truncation
      DecodedMessage d;
      const bool mine = DecodeMessage(b.bytes, size, sizeof(b.bytes), &d) == DecodeStatus::kOk;
      if (!mine) continue;
      ++accepted_mutants;
      flatbuffers::Verifier verifier(b.bytes, size);
      ASSERT_TRUE(fb::VerifyMessageBuffer(verifier))
          << "fblite accepted a buffer the official Verifier rejects (round " << round << ")";
      const fb::Message* m = fb::GetMessage(b.bytes);
      EXPECT_EQ(m->id(), d.id);
      EXPECT_EQ(m->vcpu(), d.vcpu);
      EXPECT_EQ(static_cast<uint8_t>(m->body_type()), d.type);
    }
  }
  EXPECT_GT(accepted_mutants, 100) << "mutations should often keep the buffer valid";
}

TEST(FbliteDecoderTest, RejectsStructuralDamageWithNamedReasons) {
  Buffer b;
  const uint32_t n = MessageEncoder(b.bytes, sizeof(b.bytes)).IoAccess(1, 0, 0x700, 4, false, 0);
  DecodedMessage d;
  EXPECT_EQ(DecodeMessage(b.bytes, 4, sizeof(b.bytes), &d), DecodeStatus::kTooShort);
  EXPECT_EQ(DecodeMessage(b.bytes, n, n - 1, &d), DecodeStatus::kTooLarge);
  Buffer wrong_id = b;
  wrong_id.bytes[4] = 'X';
  EXPECT_EQ(DecodeMessage(wrong_id.bytes, n, sizeof(b.bytes), &d), DecodeStatus::kBadIdentifier);
  Buffer bad_root = b;
  bad_root.bytes[0] = 0xff;
  bad_root.bytes[1] = 0xff;
  EXPECT_EQ(DecodeMessage(bad_root.bytes, n, sizeof(b.bytes), &d), DecodeStatus::kBadRoot);
}

TEST(FbliteDecoderTest, UnknownBodyTypeDecodesSoItCanBeAnswered) {
  Buffer b;
  const uint32_t n = MessageEncoder(b.bytes, sizeof(b.bytes)).RawEmpty(8, 0, 200);
  ASSERT_TRUE(OfficialVerify(b.bytes, n));
  DecodedMessage d;
  ASSERT_EQ(DecodeMessage(b.bytes, n, sizeof(b.bytes), &d), DecodeStatus::kOk);
  EXPECT_EQ(d.type, 200);
  EXPECT_EQ(d.id, 8u);
}

}  // namespace
}  // namespace pv::proxy
