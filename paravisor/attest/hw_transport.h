// The hardware transports of the attestation client, the other implementation of the seam in
// attestation_client.cpp (the emulated platforms use the exit proxy):
//   SEV-SNP: the GHCB guest request (SW_EXITCODE 0x8000_0011, EXITINFO1/2 = request/response
//            page GPAs) through VMGEXIT;
//   TDX:     TDG.MR.REPORT (TDCALL leaf 4) for the TDREPORT and TDG.VP.VMCALL<GetQuote>
//            (TDCALL leaf 0, R11 = 0x10002) on a shared tdx_quote_buf.
// Written to the ABI documents but NOT RUN: this project has no SEV-SNP or TDX hardware, and on
// the emulators the detection below always says "absent", so these paths return kUnsupported
// before touching anything. What they would still need on hardware is said where it applies
// (GHCB page registration, pages converted to shared with a page-state change).
#ifndef PV_ATTEST_HW_TRANSPORT_H_
#define PV_ATTEST_HW_TRANSPORT_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::attest {

// SEV_STATUS (MSR 0xC001_0131) bit 2: this is an SNP guest. Only read when CPUID 0x8000_001F
// advertises SEV-SNP, since the MSR does not exist otherwise.
bool DetectSevSnpGuest();
// CPUID leaf 0x21 returns "IntelTDX    " inside a TD.
bool DetectTdxGuest();

// One guest request: `request_page` and `response_page` are 4 KiB pages already shared with
// the hypervisor. Returns the response length (one page).
Result<usize> GhcbGuestRequest(u64 request_page_gpa, u64 response_page_gpa);

// TDG.MR.REPORT: REPORTDATA (64 bytes, 64-byte aligned) -> TDREPORT (1024 bytes, 1024-aligned).
Status TdcallMrReport(u64 report_data_gpa, u64 tdreport_gpa);

// TDG.MR.RTMR.EXTEND (TDCALL leaf 2): 48 bytes (64-byte aligned) into RTMR[index] (0..3).
Status TdcallRtmrExtend(u64 data_gpa, u64 index);

// TDG.VP.VMCALL<GetQuote> on a shared buffer of `size` bytes holding a tdx_quote_buf; the host
// fills it asynchronously (status stays "in flight" until it is done): polled, bounded.
Status TdvmcallGetQuote(u64 buffer_gpa, u64 size);

}  // namespace pv::attest

#endif  // PV_ATTEST_HW_TRANSPORT_H_
