// libFuzzer target: the /kbs/v0/attest body and everything parsed out of it before any
// cryptographic verification: the runtime data (JCS canonicalisation and binding), the
// tee-pubkey JWK, and the SNP and TDX evidence JSON. Nothing may crash, hang or read out of
// bounds; every refusal is an error value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kbs/evidence.h"
#include "kbs/jwk.h"
#include "kbs/protocol.h"
#include "kbs/runtime_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto req = pv::kbs::ParseAttestRequest(body);
  if (!req.ok()) return 0;
  (void)pv::kbs::RuntimeDataBinding(req->runtime_data);
  (void)pv::kbs::ParseTeePublicKey(req->tee_pubkey);
  (void)pv::kbs::ParseSnpEvidence(req->primary_evidence);
  (void)pv::kbs::ParseTdxEvidence(req->primary_evidence);
  return 0;
}
