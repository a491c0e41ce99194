#include "run/confidential_report.h"

#include "lib/log.h"
#include "svm/sev_es.h"
#include "tdx/tdx_partition.h"

namespace pv {

void ReportConfidentialHardware() {
  const svm::SevEsCapabilities sev = svm::DetectSevEs();
  if (sev.sev_es) {
    Log("sev-es: hardware present (%u encrypted guests, SEV-ES ASIDs 1..%u, C-bit %u%s); the "
        "SEV-ES world switch is built in but the run loop does not drive SEV-ES guests yet",
        sev.max_guests, sev.min_sev_asid > 0 ? sev.min_sev_asid - 1 : 0, sev.c_bit,
        sev.sev_snp ? ", SNP" : "");
  } else {
    Log("sev-es: hardware absent (CPUID 0x8000001F EAX[3] clear): the SEV-ES world switch is "
        "built in, exercised only by the hardware-model tests");
  }
  if (tdx::RunningInTd()) {
    Log("tdx: running in a TD; the TDX partitioning world switch is built in but the run loop "
        "does not drive L2 guests yet");
  } else {
    Log("tdx: hardware absent (not in a TD: CPUID 0x21 is not \"IntelTDX    \"): the TDX "
        "partitioning world switch is built in, exercised only by the hardware-model tests");
  }
}

}  // namespace pv
