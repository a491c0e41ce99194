// The boot-time statement of which encrypted-state world switches this machine can use. Both
// (SEV-ES, TDX partitioning) are built into every image; neither is driven by the run loop on
// hardware that lacks it, and the log says so plainly.
#ifndef PV_RUN_CONFIDENTIAL_REPORT_H_
#define PV_RUN_CONFIDENTIAL_REPORT_H_

namespace pv {

void ReportConfidentialHardware();

}  // namespace pv

#endif  // PV_RUN_CONFIDENTIAL_REPORT_H_
