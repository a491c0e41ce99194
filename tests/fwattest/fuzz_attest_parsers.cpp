// libFuzzer: the paravisor's parsers of untrusted attestation bytes, all in one target, picked by
// the first input byte: 0 the guest-message response (header checks + tag, with a known key
// and a sealed request pending), 1 the secrets page, 2 the quote buffer, 3 the report
// response payload, 4 the TDREPORT response payload. Each must return a status, never read out
// of bounds (ASan), and a response that was not sealed with the key must never be accepted.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "attest/evidence_format.h"
#include "attest/guest_msg.h"
#include "attest/secrets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pv;
  if (size < 1) return 0;
  const uint8_t which = data[0] % 5;
  std::vector<uint8_t> in(data + 1, data + size);  // private, exactly-sized copy
  switch (which) {
    case 0: {
      const u8 key[32] = {1, 2, 3};
      attest::GuestMessageChannel ch;
      if (!ch.Init(key, 0).ok()) __builtin_trap();
      u8 req[4096];
      const u8 payload[96] = {};
      if (!ch.SealRequest(5, payload, sizeof(payload), req, sizeof(req)).ok()) __builtin_trap();
      u8 out[4096];
      const Result<usize> r = ch.OpenResponse(in.data(), in.size(), out, sizeof(out));
      // Forging a tag is infeasible: an accepted response means the checks are broken.
      if (r.ok()) __builtin_trap();
      if (ch.usable()) __builtin_trap();  // and the key must be gone
      break;
    }
    case 1: {
      u8 key[32];
      (void)attest::ParseSecretsPage(in.data(), in.size(), in.empty() ? 0 : in[0] % 5, key);
      break;
    }
    case 2: {
      const Result<attest::QuoteView> q = attest::ParseQuoteBuffer(in.data(), in.size());
      if (q.ok() && q.value().offset + q.value().length > in.size()) __builtin_trap();
      break;
    }
    case 3: {
      u8 rd[64] = {};
      u8 report[1184];
      (void)attest::ParseReportResponse(in.data(), in.size(), rd, 0, report);
      break;
    }
    default: {
      u8 rd[64] = {};
      u8 tdreport[1024];
      (void)attest::ParseTdReportResponse(in.data(), in.size(), rd, tdreport);
      break;
    }
  }
  return 0;
}
