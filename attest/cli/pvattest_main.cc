// pvattest: verifies SEV-SNP reports and TDX quotes, inspects evidence, and runs the
// conformance suite. See README.md, section "Attestation verifier (`pvattest`)".
#include <openssl/crypto.h>

#include <iostream>
#include <string>
#include <vector>

#include "attest/cli/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: pvattest <command> ...\n"
    "  verify snp|tdx ...        verify evidence (pvattest verify --help)\n"
    "  inspect FILE              print every field of a report, quote, cert table or certificate\n"
    "  conformance MANIFEST      run every case of a vectors manifest\n"
    "  cache-add snp ...         store a verified VCEK/VLEK and chain in a KDS-keyed cache\n"
    "  measure ...               SNP launch digest and TDX MRTD of a measured pv-agent launch\n"
    "  --version                 print the pvattest and OpenSSL versions\n"
    "every command takes --help; exit status: 0 accepted, 1 rejected, 2 unusable input or usage\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace pv::attest::cli;
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUnusable;
  }
  const std::string command = argv[1];
  const std::vector<std::string> rest(argv + 2, argv + argc);
  if (command == "verify") return RunVerify(rest, std::cout, std::cerr);
  if (command == "inspect") return RunInspect(rest, std::cout, std::cerr);
  if (command == "conformance") return RunConformance(rest, std::cout, std::cerr);
  if (command == "cache-add") return RunCacheAdd(rest, std::cout, std::cerr);
  if (command == "measure") return RunMeasure(rest, std::cout, std::cerr);
  if (command == "--version") {
    std::cout << "pvattest " << PVATTEST_VERSION << " (" << OpenSSL_version(OPENSSL_VERSION)
              << ")\n";
    return kExitAccepted;
  }
  if (command == "--help" || command == "help" || command == "-h") {
    std::cout << kUsage;
    return kExitAccepted;
  }
  std::cerr << "pvattest: unknown command '" << command << "'\n" << kUsage;
  return kExitUnusable;
}
