// libFuzzer target: the /kbs/v0/attest body and everything parsed out of it before any
// cryptographic verification: the runtime data (JCS canonicalisation and binding), the
// tee-pubkey JWK, and the SNP and TDX evidence JSON. Nothing may crash, hang or read out of
// bounds; every refusal is an error value. The byte-array fast path (kbs/byte_arrays.h) must
// give the document nlohmann's own parse gives (differential check against the reference).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <cstdlib>

#include "kbs/byte_arrays.h"
#include "kbs/evidence.h"
#include "kbs/jwk.h"
#include "kbs/protocol.h"
#include "kbs/runtime_data.h"
#include "tests/kbs/byte_array_reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (size <= 64 * 1024 && pv::kbs::JsonDepthWithin(body, 32)) {
    bool too_deep = false;
    const nlohmann::json fast = pv::kbs::ParseJsonWithByteArrays(
        body, pv::kbs::ByteArrayScope::kWholeDocument, 32, &too_deep);
    if (too_deep || !pv::kbs::testing::SameAsReference(fast, body)) std::abort();
  }
  auto req = pv::kbs::ParseAttestRequest(body);
  if (!req.ok()) return 0;
  (void)pv::kbs::RuntimeDataBinding(req->runtime_data);
  (void)pv::kbs::ParseTeePublicKey(req->tee_pubkey);
  (void)pv::kbs::ParseSnpEvidence(req->primary_evidence);
  (void)pv::kbs::ParseTdxEvidence(req->primary_evidence);
  (void)pv::kbs::ParseSampleEvidence(req->primary_evidence);
  return 0;
}
