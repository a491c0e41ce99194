// The `pvattest` subcommands. Each returns the process exit status:
//   0 accepted (verify) / all cases passed (conformance) / printed (inspect)
//   1 rejected, with the reasons printed / some conformance case failed
//   2 unusable input or usage error
#ifndef PV_ATTEST_CLI_COMMANDS_H_
#define PV_ATTEST_CLI_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"
#include "attest/common/time_util.h"
#include "attest/common/verification_report.h"
#include "attest/policy/policy.h"

namespace pv::attest::cli {

inline constexpr int kExitAccepted = 0;
inline constexpr int kExitRejected = 1;
inline constexpr int kExitUnusable = 2;

// Inputs of an SNP verification, as file paths (empty = not supplied).
struct SnpFiles {
  std::string report;
  std::string vek;
  std::string chain;
  std::string cert_table;  // GHCB extended-report certificate table (auxblob)
  std::string cache_dir;   // KDS-keyed collateral cache (see attest/snp/kds_cache.h)
  std::string crl;         // ARK-signed CRL (KDS .../crl); overrides one from the cache
  std::string trust_dir;   // directory of root certificates (admitted only if pinned)
  std::vector<std::string> allow_roots;  // root files admitted without a pin
  bool strict_length = false;            // --strict-length (attest/common/evidence_length.h)
};

// Verifies and applies the SNP policy. Errors only for unusable input.
absl::StatusOr<VerificationReport> VerifySnpFiles(const SnpFiles& files, UnixTime now,
                                                  const policy::SnpPolicy& policy);
// The same for report bytes already in memory (files.report is then only used in messages);
// an HCL report's inner SNP report goes through here.
absl::StatusOr<VerificationReport> VerifySnpEvidence(ByteSpan report, const SnpFiles& files,
                                                     UnixTime now, const policy::SnpPolicy& policy);

int RunVerify(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunConformance(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunCacheAdd(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunMeasure(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace pv::attest::cli

#endif  // PV_ATTEST_CLI_COMMANDS_H_
