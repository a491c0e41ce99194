// libFuzzer target: the SNP report parser and its field printer on arbitrary bytes.
#include <cstddef>
#include <cstdint>

#include "attest/snp/snp_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto report = pv::attest::snp::ParseSnpReport(pv::attest::ByteSpan(data, size));
  if (report.ok()) (void)pv::attest::snp::DescribeSnpReport(*report);
  return 0;
}
