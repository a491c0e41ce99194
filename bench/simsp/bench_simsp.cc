// Simulated AMD-SP report rate: full MSG_REPORT_REQ handling (decrypt + checks, report build,
// VCEK signature, encrypt) and the signature alone, next to raw OpenSSL P-384 signing of the
// same 0x2A0 bytes in the same run. Simulated TDX quoting: GetQuote (TDREPORT MAC and hash
// checks, quote build, AK signature) alone and after the TD report guest message, next to raw
// P-256 signing of the same 632 signed bytes (header + TD body). The ratios are what matter,
// not the machine.
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "attest/common/openssl_ptr.h"
#include "attest/simsp/guest_request_server.h"
#include "attest/simsp/sim_tdx_quoting.h"

namespace {
using Clock = std::chrono::steady_clock;
namespace ss = pv::attest::simsp;

double Rate(double seconds, const std::function<void()>& op) {
  uint64_t n = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 16; ++i) op();
    n += 16;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return n / elapsed;
}
}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 2 ? std::stod(argv[2]) : 2.0;
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_simsp HIERARCHY_DIR [SECONDS]\n");
    return 2;
  }
  auto sp = ss::SimulatedAmdSp::LoadOrCreate(argv[1]);
  if (!sp.ok()) {
    std::fprintf(stderr, "bench_simsp: %s\n", std::string(sp.status().message()).c_str());
    return 1;
  }
  std::array<ss::Vmpck, 4> keys;
  for (auto& k : keys) k.fill(0x42);
  ss::GuestRequestServer server(sp->get(), ss::PartitionIdentity(), keys);
  std::vector<uint8_t> req(96, 0);
  uint64_t seqno = 1;
  pv::attest::EvpPkeyPtr raw_key(EVP_EC_gen("secp384r1"));
  std::vector<uint8_t> report(0x4A0, 0x11);
  auto qe = ss::SimulatedTdxQuoting::LoadOrCreate(std::string(argv[1]) + "/tdx");
  if (!qe.ok()) {
    std::fprintf(stderr, "bench_simsp: %s\n", std::string(qe.status().message()).c_str());
    return 1;
  }
  ss::PartitionIdentity td_id;
  td_id.tdx_personality = true;
  ss::GuestRequestServer td_server(nullptr, td_id, keys);
  uint64_t td_seqno = 1;
  const std::vector<uint8_t> report_data(64, 0x5a);
  // One TDREPORT (the guest side opens the response) for the GetQuote-only measurement.
  namespace ap = pv::attest_proto;
  auto td_reply = td_server.Handle(
      ss::BuildGuestMessage(keys[0], 0, td_seqno, ap::kMsgSimTdReportReq, report_data));
  td_seqno += 2;
  if (!td_reply.ok()) std::abort();
  constexpr size_t kHeader = sizeof(ap::GuestMsgHeader);
  std::vector<uint8_t> td_plain(td_reply->size() - kHeader);
  if (!ss::GuestMsgOpen(keys[0], td_seqno - 1,
                        std::span<const uint8_t>(td_reply->data() + ap::kAadOffset, ap::kAadSize),
                        std::span<const uint8_t>(td_reply->data() + kHeader, td_plain.size()),
                        td_reply->data(), td_plain.data())) {
    std::abort();
  }
  const std::vector<uint8_t> tdreport(td_plain.begin() + sizeof(ap::ReportResponseHeader),
                                      td_plain.end());
  pv::attest::EvpPkeyPtr raw_p256(EVP_EC_gen("P-256"));
  std::vector<uint8_t> quote_body(632, 0x22);
  std::printf("simulated AMD-SP (test platform), one core, %.1f s per measurement, 3 rounds\n",
              seconds);
  for (int round = 0; round < 3; ++round) {
    const double raw = Rate(seconds, [&] {
      pv::attest::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
      uint8_t sig[128];
      size_t len = sizeof(sig);
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, raw_key.get());
      EVP_DigestSign(ctx.get(), sig, &len, report.data(), 0x2A0);
    });
    const double sign = Rate(seconds, [&] { (void)(*sp)->SignReport(report); });
    const double full = Rate(seconds, [&] {
      auto rsp = server.Handle(ss::BuildGuestMessage(keys[0], 0, seqno, 5, req));
      seqno += 2;
      if (!rsp.ok()) std::abort();
    });
    std::printf(
        "round %d: raw P-384 sign %8.0f /s | SignReport %8.0f /s (ratio %.3f) | "
        "MSG_REPORT_REQ round trip %8.0f /s (ratio %.3f)\n",
        round, raw, sign, sign / raw, full, full / raw);
  }
  std::printf("simulated TDX quoting (test platform), same run\n");
  for (int round = 0; round < 3; ++round) {
    const double raw = Rate(seconds, [&] {
      pv::attest::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
      uint8_t sig[80];
      size_t len = sizeof(sig);
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, raw_p256.get());
      EVP_DigestSign(ctx.get(), sig, &len, quote_body.data(), quote_body.size());
    });
    const double quote = Rate(seconds, [&] {
      if (!td_server.CheckTdReport(tdreport).ok() || !(*qe)->Quote(tdreport).ok()) std::abort();
    });
    const double both = Rate(seconds, [&] {
      auto rsp = td_server.Handle(
          ss::BuildGuestMessage(keys[0], 0, td_seqno, ap::kMsgSimTdReportReq, report_data));
      td_seqno += 2;
      if (!rsp.ok() || !td_server.CheckTdReport(tdreport).ok() || !(*qe)->Quote(tdreport).ok()) {
        std::abort();
      }
    });
    std::printf(
        "round %d: raw P-256 sign %8.0f /s | GetQuote %8.0f /s (ratio %.3f) | "
        "TD report message + GetQuote %8.0f /s (ratio %.3f)\n",
        round, raw, quote, quote / raw, both, both / raw);
  }
  return 0;
}
