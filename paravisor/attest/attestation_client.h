// The paravisor's attestation client: fresh evidence with a caller-chosen REPORT_DATA, for the
// guest (hypercall GET_EVIDENCE, guest ABI v2), for the host agent (`pvctl attest`, polled at
// exits) and for the paravisor's own self-test.
//
// Personality (paravisor command line `tee=sev-snp|tdx`, default sev-snp):
//   sev-snp: MSG_REPORT_REQ through the guest-message channel -> ATTESTATION_REPORT (1184 B);
//   tdx:     TDREPORT (simulated platform: kMsgSimTdReportReq over the same channel; hardware:
//            TDG.MR.REPORT) -> GetQuote -> the TDX quote.
// Transport, chosen once at boot: SEV-SNP/TDX hardware when detected (hw_transport.h, not
// runnable here), otherwise the exit proxy to the host agent, which relays to the (simulated)
// secure processor. The VMPCK comes from the secrets page at kSecretsPageGpa.
//
// A failed guest-message exchange wipes the VMPCK (guest_msg.h); every later request fails.
#ifndef PV_ATTEST_ATTESTATION_CLIENT_H_
#define PV_ATTEST_ATTESTATION_CLIENT_H_

#include "lib/cmdline.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::attest {

// Largest evidence the client returns (a TDX quote with its PCK chain; fits the exit proxy's
// bulk response area).
inline constexpr usize kMaxEvidence = 32768 - 24;

// Reads the command line and the secrets page, seeds the DRBG, picks the transport; logs what
// it found (never key bytes). Without a secrets page, attestation is simply unavailable.
// `attest-selftest` on the command line fetches one piece of evidence here and logs the result.
Status InitAttestation(const Cmdline& cmdline);
bool AttestationAvailable();

// The guest secrets page (guest ABI kGuestSecretsPageGpa): the SNP secrets-page layout with only
// VMPCK2 and VMPCK3 (VMPCK0/1 zero), so a tee=sev-snp guest talks to the secure processor
// through the SNP guest request NAE as a VMPL2 guest. Built into `page` (one page) only in an
// SEV-SNP partition with attestation available, and only once: the paravisor zeroes its copy of
// the keys when it hands them over. False: no page for this guest.
bool TakeGuestSecretsPage(u8 page[kPageSize]);

// Fresh evidence with `report_data` into `out`; returns its length.
Result<usize> ProduceEvidence(const u8 report_data[64], u8* out, usize cap);

}  // namespace pv::attest

#endif  // PV_ATTEST_ATTESTATION_CLIENT_H_
