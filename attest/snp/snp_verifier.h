// SEV-SNP evidence verification: report format, report signature, the AMD chain, REPORTED_TCB
// against the VEK's TCB extensions, and CHIP_ID against the VCEK's hwID.
//
// Checks recorded in the VerificationReport (manifest vocabulary), in this order:
//   signature    "ok" | "fail:bad-signature" | "fail:unsigned-report" | "fail:vek-key-not-p384"
//                ECDSA P-384/SHA-384 over report bytes 0x000..0x29F with the VEK's key.
//   chain        "ok" | "fail:<reason>" (see snp_chain.h), plus "fail:vek-kind-mismatch" when the
//                VEK's extensions do not fit the SIGNING_KEY the report names (a VCEK has a
//                hwID and no cspId; a VLEK has a cspId and no hwID) and "fail:product-mismatch"
//                when the verified root, a v3+ report's CPUID and the VEK productName (family
//                part) do not all name the same product.
//   tcb_vs_cert  "match" | "fail:mismatch" | "fail:missing-extension": each SPL of REPORTED_TCB,
//                decoded with the product's layout (Turin: FMC/BL/TEE/SNP/../UCODE), equals the
//                VEK extension.
//   chip_id      "match" | "n/a" (VLEK, or CHIP_ID masked / all zero) | "fail:mismatch" |
//                "fail:missing-hwid": CHIP_ID equals the VCEK hwID (Turin: 8-byte hwID equals
//                CHIP_ID[0..8] and CHIP_ID[8..64] is zero).
//   length       "ok" | "fail:trailing-data" | "fail:trailing-bytes" (strict): bytes after the
//                0x4A0-byte report, judged by the rule in attest/common/evidence_length.h.
//   crl          only when a CRL is supplied: "ok,not-revoked" | "fail:<reason>" (amd_crl.h):
//                the ARK-signed CRL is current and does not revoke the ASK/ASVK.
// The path (VCEK or VLEK) is chosen from the report's SIGNER_INFO.SIGNING_KEY; the product from
// the pinned root the chain verified to (CPUID for v3+ reports and the VEK productName only when
// an explicitly allowed test root carries no product).
//
// Chains are cached keyed by SHA-256 of the VEK and chain bytes: a repeated verification costs
// one hash of the inputs and the report's P-384 signature check. Validity at `now` is evaluated
// on every call.
#ifndef PV_ATTEST_SNP_SNP_VERIFIER_H_
#define PV_ATTEST_SNP_SNP_VERIFIER_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"
#include "attest/common/time_util.h"
#include "attest/common/trust_anchors.h"
#include "attest/common/verification_report.h"
#include "attest/snp/snp_chain.h"
#include "attest/snp/snp_report.h"
#include "attest/snp/snp_tcb.h"
#include "attest/snp/vek_cert.h"

namespace pv::attest::snp {

struct SnpVerification {
  SnpReport report;
  VerificationReport result;  // checks and fields; policy left at its default ("accept")
  Product product = Product::kUnknown;
  TcbLayout layout = TcbLayout::kMilanGenoa;
  VekExtensions vek;
};

class SnpVerifier {
 public:
  explicit SnpVerifier(TrustStore trust);
  ~SnpVerifier();
  SnpVerifier(const SnpVerifier&) = delete;
  SnpVerifier& operator=(const SnpVerifier&) = delete;

  // `report`: the report, optionally followed by trailing bytes (judged by `length`).
  // `vek`: one certificate (DER or PEM). `chain`: ASK/ASVK and optionally the ARK (PEM bundle,
  // or one DER certificate). Returns an error only for unusable input (a report that fails the
  // format checks, certificates that do not decode); every verification failure is a check.
  // `crl`: the ARK's CRL (DER or PEM), or empty to skip the revocation check.
  absl::StatusOr<SnpVerification> Verify(ByteSpan report, ByteSpan vek, ByteSpan chain,
                                         UnixTime now, ByteSpan crl = {});

  // The `length` check (attest/common/evidence_length.h): when set, no byte may follow the
  // 0x4A0-byte report (zero padding included).
  void set_strict_length(bool strict) { strict_length_ = strict; }

  void ClearCache();
  size_t CacheSize() const;

 private:
  struct CachedChain;
  absl::StatusOr<std::shared_ptr<const CachedChain>> LoadChain(ByteSpan vek, ByteSpan chain);

  TrustStore trust_;
  bool strict_length_ = false;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const CachedChain>> cache_;
};

}  // namespace pv::attest::snp

#endif  // PV_ATTEST_SNP_SNP_VERIFIER_H_
