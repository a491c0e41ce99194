#include "attest_command.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "output.h"

namespace pv::pvctl {

std::string BuildAttestRequest(const std::string& name, const std::string& report_data_hex,
                               uint32_t timeout_ms, pv::v1::AttestPartitionRequest* req) {
  req->set_name(name);
  req->set_timeout_ms(timeout_ms);
  if (report_data_hex.empty()) return "";
  if (report_data_hex.size() != 128) {
    return absl::StrCat("--report-data needs 128 hex digits (64 bytes), got ",
                        report_data_hex.size());
  }
  for (char c : report_data_hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return "--report-data must be hexadecimal";
    }
  }
  req->set_report_data(absl::HexStringToBytes(report_data_hex));
  return "";
}

bool OutputEvidence(const pv::v1::AttestPartitionResponse& resp, const std::string& out_path,
                    bool json) {
  if (!out_path.empty()) {
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out.write(resp.evidence().data(), static_cast<std::streamsize>(resp.evidence().size()));
    if (!out.good()) {
      (void)std::fprintf(stderr, "pvctl: cannot write %s\n", out_path.c_str());
      return false;
    }
  }
  if (json) {
    std::printf("%s\n", ToJson(resp).c_str());
    return true;
  }
  // 1184 bytes is an SEV-SNP ATTESTATION_REPORT; anything else here is a TDX quote.
  std::printf("partition    %s\nevidence     %zu bytes (%s)%s%s\nreport_data  %s\n",
              resp.name().c_str(), resp.evidence().size(),
              resp.evidence().size() == 1184 ? "SEV-SNP attestation report" : "TDX quote",
              out_path.empty() ? "" : ", written to ", out_path.c_str(),
              absl::BytesToHexString(resp.report_data()).c_str());
  return true;
}

}  // namespace pv::pvctl
