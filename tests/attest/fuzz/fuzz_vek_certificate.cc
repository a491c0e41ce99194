// libFuzzer target: certificate decoding (PEM/DER) and the AMD VEK extension / RSASSA-PSS
// profile checks applied to every certificate of an SNP chain.
#include <cstddef>
#include <cstdint>

#include "attest/common/cert_util.h"
#include "attest/common/signature_util.h"
#include "attest/snp/vek_cert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto certs = pv::attest::ParseCertificates(pv::attest::ByteSpan(data, size), "fuzz");
  if (!certs.ok()) return 0;
  for (const auto& cert : *certs) {
    (void)pv::attest::snp::ParseVekExtensions(cert.get());
    (void)pv::attest::CheckRsaPssSha384Profile(cert.get());
    if (auto der = pv::attest::CertificateDer(cert.get()); der.ok()) {
      (void)pv::attest::SplitCertificate(*der);
    }
  }
  pv::attest::DrainOpenSslErrors();
  return 0;
}
