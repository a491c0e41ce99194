// libFuzzer target: what the simulated quoting path does with a TDREPORT the host hands it
// (GetQuote): GuestRequestServer::CheckTdReport, then SimulatedTdxQuoting::Quote. Byte 0 picks
// the shape: odd = the rest as the TDREPORT (size, type, MAC, hash checks); even = the rest as a
// 1024-byte TDREPORT whose type, hashes and MAC (the fixed-key server's MAC key is zero) are
// fixed up, so it passes the checks and is quoted.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "attest/simsp/guest_request_server.h"
#include "attest/simsp/sim_tdx_quoting.h"

namespace ss = pv::attest::simsp;

namespace {
const ss::SimulatedTdxQuoting* Qe() {
  static std::unique_ptr<ss::SimulatedTdxQuoting> qe = [] {
    auto created = ss::SimulatedTdxQuoting::LoadOrCreate(PV_FUZZ_SIMTDX_DIR);
    if (!created.ok()) __builtin_trap();
    return *std::move(created);
  }();
  return qe.get();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::array<ss::Vmpck, 4> keys{};
  ss::PartitionIdentity id;
  id.tdx_personality = true;
  ss::GuestRequestServer server(nullptr, id, keys);
  std::vector<uint8_t> r(data + 1, data + size);
  if ((data[0] & 1) == 0) {
    r.resize(1024, 0);
    r[0] = 0x81;
    unsigned int len = 48;
    EVP_Digest(r.data() + ss::kTdTeeTcbInfoOffset, ss::kTdTeeTcbInfoSize, r.data() + 32, &len,
               EVP_sha384(), nullptr);
    EVP_Digest(r.data() + ss::kTdInfoOffset, 512, r.data() + 80, &len, EVP_sha384(), nullptr);
    const uint8_t zero_key[32] = {};
    unsigned int mac_len = 32;
    HMAC(EVP_sha256(), zero_key, sizeof(zero_key), r.data(), ss::kTdReportMacedBytes,
         r.data() + ss::kTdReportMacOffset, &mac_len);
  }
  const absl::Status checked = server.CheckTdReport(r);
  if ((data[0] & 1) == 0 && !checked.ok()) __builtin_trap();  // a fixed-up report must pass
  if (!checked.ok()) return 0;
  auto quote = Qe()->Quote(r);
  if (!quote.ok()) __builtin_trap();
  // REPORTDATA travels unchanged into the TD body (header 48 + 520).
  if (std::memcmp(quote->data() + 48 + 520, r.data() + ss::kTdReportDataOffset, 64) != 0) {
    __builtin_trap();
  }
  return 0;
}
