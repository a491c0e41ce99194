// Offline collateral for SNP, laid out the way AMD's Key Distribution Service keys it, so a
// directory filled from KDS (or by `pvattest cache-add`) makes verification fully offline.
//
//   <dir>/vcek/v1/<Product>/cert_chain.pem             ASK then ARK   (KDS
//   /vcek/v1/<Product>/cert_chain) <dir>/vlek/v1/<Product>/cert_chain.pem             ASVK then ARK
//   (KDS /vlek/v1/<Product>/cert_chain) <dir>/vcek/v1/<Product>/<hwid>/<tcb>.der           VCEK
//   (KDS /vcek/v1/<Product>/<hwid>?...SPL=..) <dir>/vlek/v1/<Product>/<tcb>.der VLEK (not served by
//   KDS; provisioned by the CSP)
//
// <Product> is Milan, Genoa or Turin. <hwid> is the lowercase hex of CHIP_ID as KDS wants it:
// all 64 bytes for Milan/Genoa, the first 8 bytes for Turin. <tcb> is REPORTED_TCB as 16
// lowercase hex digits (the u64 value, e.g. 7308000000000003), which fixes every SPL in the
// product's layout (the KDS query parameters blSPL/teeSPL/snpSPL/ucodeSPL, plus fmcSPL on Turin).
// Nothing found in the cache is trusted by being there: it goes through the same verification.
#ifndef PV_ATTEST_SNP_KDS_CACHE_H_
#define PV_ATTEST_SNP_KDS_CACHE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "attest/common/bytes.h"
#include "attest/snp/snp_report.h"
#include "attest/snp/snp_tcb.h"

namespace pv::attest::snp {

struct KdsCacheEntry {
  Product product = Product::kUnknown;
  std::string vek_path;
  std::string chain_path;
  Bytes vek;
  Bytes chain;
  std::string crl_path;  // empty when the cache holds no CRL for this product
  Bytes crl;
};

std::string KdsChainPath(const std::string& dir, Product product, bool vlek);
std::string KdsCrlPath(const std::string& dir, Product product, bool vlek);
// Empty for an unsupported product.
std::string KdsVekPath(const std::string& dir, Product product, const SnpReport& report);

// Finds the VEK and chain for `report`. The product comes from CPUID for v3+ reports; for v2
// each product directory is tried (whichever chain then verifies decides trust).
absl::StatusOr<KdsCacheEntry> LookupKdsCache(const std::string& dir, const SnpReport& report);

// Stores a VEK and chain (and a CRL, if not empty) under the keys for `report` and `product`
// (creating directories).
absl::Status StoreInKdsCache(const std::string& dir, const SnpReport& report, Product product,
                             ByteSpan vek_der, ByteSpan chain_pem, ByteSpan crl = {});

}  // namespace pv::attest::snp

#endif  // PV_ATTEST_SNP_KDS_CACHE_H_
