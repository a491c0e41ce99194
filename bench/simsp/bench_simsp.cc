// Simulated AMD-SP report rate: full MSG_REPORT_REQ handling (decrypt + checks, report build,
// VCEK signature, encrypt) and the signature alone, next to raw OpenSSL P-384 signing of the
// same 0x2A0 bytes in the same run. The ratios are what matter, not the machine.
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "attest/common/openssl_ptr.h"
#include "attest/simsp/guest_request_server.h"

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
    std::printf("round %d: raw P-384 sign %8.0f /s | SignReport %8.0f /s (ratio %.3f) | "
                "MSG_REPORT_REQ round trip %8.0f /s (ratio %.3f)\n",
                round, raw, sign, sign / raw, full, full / raw);
  }
  return 0;
}
