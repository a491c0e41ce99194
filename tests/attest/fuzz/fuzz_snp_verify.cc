// libFuzzer target: the whole SNP verification (format checks, signature, chain from the cache,
// TCB and CHIP_ID checks, field decoding) on arbitrary report bytes with a real Turin VCEK and
// chain, so mutations that keep the report well-formed reach the signature and TCB code.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "attest/common/bytes.h"
#include "attest/snp/snp_verifier.h"

namespace {
pv::attest::Bytes* vek = nullptr;
pv::attest::Bytes* chain = nullptr;
pv::attest::snp::SnpVerifier* verifier = nullptr;

pv::attest::Bytes MustRead(const char* rel) {
  auto data = pv::attest::ReadFileBytes(std::string(PV_VECTORS_DIR) + "/" + rel);
  if (!data.ok()) std::abort();
  return *data;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vek = new pv::attest::Bytes(MustRead("snp/openanolis-trustee/turin-vcek.der"));
  chain = new pv::attest::Bytes(MustRead("snp/go-sev-guest/ask_ark_turin_vcek.pem"));
  verifier = new pv::attest::snp::SnpVerifier(pv::attest::TrustStore());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr pv::attest::UnixTime kNow = 1795219200;  // 2026-11-21
  auto v = verifier->Verify(pv::attest::ByteSpan(data, size), *vek, *chain, kNow);
  // Only the real report may verify, followed at most by zero padding (the default length
  // rule, attest/common/evidence_length.h): anything else accepted would be a forgery.
  if (v.ok() && v->result.Accepted()) {
    static const pv::attest::Bytes report = MustRead("snp/openanolis-trustee/turin-report.bin");
    const pv::attest::ByteSpan input(data, size);
    if (size < report.size() || !std::equal(report.begin(), report.end(), input.begin()) ||
        !pv::attest::AllZero(input.subspan(report.size()))) {
      std::abort();
    }
  }
  return 0;
}
