// Revocation for the AMD chain. AMD's KDS publishes one CRL per product and key type
// (/vcek/v1/<product>/crl, /vlek/v1/<product>/crl), issued and signed by the ARK with
// RSASSA-PSS; it lists revoked ASK/ASVK serials. AMD does not revoke individual VCEKs (they all
// have serial 0 and are issued by the ASK, not the CRL's issuer), so only the intermediate is
// looked up.
#ifndef PV_ATTEST_SNP_AMD_CRL_H_
#define PV_ATTEST_SNP_AMD_CRL_H_

#include <string>

#include <openssl/x509.h>

#include "attest/common/bytes.h"
#include "attest/common/time_util.h"

namespace pv::attest::snp {

struct CrlVerdict {
  std::string value;   // "ok,not-revoked" or "fail:<reason>"
  std::string detail;  // empty for ok
};

// Checks `crl` (DER or PEM): it must decode, be issued by `ark` (issuer DN == ARK subject DN),
// use RSASSA-PSS and verify with the ARK key, be current at `now`
// (thisUpdate <= now <= nextUpdate), and not list `intermediate`.
// Reasons: malformed, wrong-issuer, bad-signature, not-yet-valid, expired, revoked.
CrlVerdict CheckAmdCrl(ByteSpan crl, const X509* ark, const X509* intermediate, UnixTime now);

}  // namespace pv::attest::snp

#endif  // PV_ATTEST_SNP_AMD_CRL_H_
