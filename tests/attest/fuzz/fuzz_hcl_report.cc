// libFuzzer target: the Azure HCL report parser and everything `inspect` / `verify
// --hcl-report` derive from its parts (claims JSON, binding, TDREPORT hashes and fields).
#include <cstddef>
#include <cstdint>

#include "attest/hcl/hcl_report.h"
#include "attest/snp/snp_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pv::attest;
  auto report = hcl::ParseHclReport(ByteSpan(data, size));
  if (!report.ok()) return 0;
  (void)hcl::CheckRuntimeClaimsBinding(*report);
  (void)hcl::DescribeHclReport(*report);
  (void)EvaluateEvidenceLength(report->length, true, "HCL report");
  if (report->type == hcl::HclReportType::kSnp) {
    (void)snp::ParseSnpReport(report->hardware_report);
  } else {
    (void)hcl::CheckTdReportHashes(report->hardware_report);
    (void)hcl::DescribeTdReport(report->hardware_report, "TDREPORT.");
  }
  return 0;
}
