// libFuzzer target: PCK certificate bundles (PEM or concatenated DER) and the hand-written DER
// parser of the SGX extension (OID 1.2.840.113741.1.13.1), reached through real certificates
// (seeded with PCK certificates) and directly on the raw input.
#include <cstddef>
#include <cstdint>

#include "attest/tdx/openssl_util.h"
#include "attest/tdx/pck_chain.h"
#include "attest/tdx/pck_extensions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pv::attest::tdx;  // NOLINT
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto direct = ParsePckExtensionsDer(bytes);
  if (direct.ok() && (direct->fmspc.size() != 6 || direct->pceid.size() != 2)) __builtin_trap();
  auto certs = ParseCertificateBundle(bytes, kMaxChainCerts, "fuzz input");
  if (certs.ok()) {
    for (const auto& cert : *certs) {
      auto ext = ParsePckCertificateExtensions(cert.get());
      if (ext.ok() && (ext->fmspc.size() != 6 || ext->cpusvn.size() != 16)) __builtin_trap();
    }
  }
  (void)ParsePckChain(bytes);
  DrainOpenSslErrors();
  return 0;
}
