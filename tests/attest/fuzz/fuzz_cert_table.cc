// libFuzzer target: the GHCB certificate-table parser, then the certificate decoding of its
// entries (PEM or DER), as `verify snp --cert-table` does.
#include <cstddef>
#include <cstdint>

#include "attest/common/cert_util.h"
#include "attest/snp/cert_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entries = pv::attest::snp::ParseCertTable(pv::attest::ByteSpan(data, size));
  if (!entries.ok()) return 0;
  for (bool vlek : {false, true}) {
    auto certs = pv::attest::snp::CertsFromTable(*entries, vlek);
    if (!certs.ok()) continue;
    (void)pv::attest::ParseCertificates(certs->vek, "vek");
    (void)pv::attest::ParseCertificates(certs->chain, "chain");
  }
  return 0;
}
