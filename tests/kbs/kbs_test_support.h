// What a KBS test plays on the attester side, with real crypto and no KBS code in the loop
// except the runtime-data binding (pinned separately by trustee's published vector):
//   - attester key pairs (P-256, P-384, P-521, RSA-3072) as JWKs, private JWK for `jose`;
//   - SNP evidence from the synthetic AMD-shaped PKI of tests/attest/snp (ARK -> ASK -> VCEK,
//     report signed by the VCEK) and TDX evidence from the synthetic Intel-shaped PKI of
//     tests/attest/tdx (quote, PCK chain, signed TCB info / QE identity, CRLs), each with the
//     REPORT_DATA the test chooses;
//   - an independent JWE decryptor (OpenSSL EVP, written here from RFC 7516/7518, not the KBS's
//     code).
// Neither PKI is a vendor's: the KBS accepts them only when their roots are configured.
#ifndef PV_TESTS_KBS_KBS_TEST_SUPPORT_H_
#define PV_TESTS_KBS_KBS_TEST_SUPPORT_H_

#include <array>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "attest/common/bytes.h"
#include "attest/common/openssl_ptr.h"

namespace pv::attest::tdx::testing_pki {
class TestPki;
}

namespace pv::kbs::testing {

using attest::Bytes;
using Json = nlohmann::json;
using Rd = std::array<uint8_t, 64>;

struct AttesterKey {
  attest::EvpPkeyPtr key;
  Json public_jwk;
  Json private_jwk;
};
// kind: "P-256", "P-384", "P-521" or "RSA".
AttesterKey MakeAttesterKey(const std::string& kind);

// The runtime-data object an attester sends: {"nonce":..., "tee-pubkey":...}.
Json RuntimeData(const std::string& nonce, const Json& public_jwk);
// SHA-384(JCS(runtime_data)) zero-padded (through the KBS's binding function).
Rd Binding(const Json& runtime_data);

struct SnpSpec {
  std::array<uint8_t, 48> measurement{};
  std::array<uint8_t, 32> host_data{};
  bool debug = false;
  uint32_t vmpl = 0;
};

class SyntheticSnp {
 public:
  SyntheticSnp();
  ~SyntheticSnp();
  std::string ArkPem() const;
  // Raw report bytes with `report_data`, signed by the VCEK.
  Bytes Report(const SnpSpec& spec, const Rd& report_data) const;
  // trustee-shaped evidence {"attestation_report", "cert_chain"} for a report; byte strings
  // as JSON integer arrays (serde's form) or, with `base64`, as base64 strings.
  Json Evidence(const Bytes& report, bool base64 = false) const;
  Bytes VcekDer() const;
  std::string ChainPem() const;  // ASK then ARK
  void Resign(Bytes* report) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct TdxSpec {
  std::string mr_td = std::string(48, '\x11');
  bool debug = false;
};

class SyntheticTdx {
 public:
  SyntheticTdx();
  ~SyntheticTdx();
  std::string RootPem() const;
  // Writes the Intel-PCS-keyed collateral directory (valid from yesterday for 30 days).
  void WriteCollateral(const std::string& dir) const;
  Bytes Quote(const TdxSpec& spec, const Rd& report_data) const;
  static Json Evidence(const Bytes& quote);
  // The RTMR0 bytes every synthetic quote carries (hex), for policies.
  static std::string Rtmr0Hex();

 private:
  std::unique_ptr<attest::tdx::testing_pki::TestPki> pki_;
};

// Independent flattened-JWE decryption (ECDH-ES+A256KW or RSA-OAEP-256, A256GCM).
absl::StatusOr<Bytes> DecryptJwe(const Json& jwe, EVP_PKEY* recipient);

// Writes `data` to `path` (test fixtures).
void WriteFile(const std::string& path, const std::string& data);
std::string Hex(const uint8_t* p, size_t n);

}  // namespace pv::kbs::testing

#endif  // PV_TESTS_KBS_KBS_TEST_SUPPORT_H_
