// A synthetic Intel-shaped PKI and quote factory for tests: a test root, a PCK Platform CA, a
// PCK leaf carrying the SGX extension, a TCB signing
// certificate, CRLs, TCB info / QE identity documents signed like PCS signs them, and TDX
// quotes (v4 and v5) signed by a fresh attestation key whose binding the QE report carries.
// Built from attest/simsp/intel_shaped_pki.h, the same pieces the simulated TDX quoting path
// uses. Everything is real OpenSSL crypto; the root is simply not Intel's, so verification needs
// TdxVerifyOptions::allow_unpinned_root.
#ifndef PV_TESTS_ATTEST_TDX_TEST_PKI_H_
#define PV_TESTS_ATTEST_TDX_TEST_PKI_H_

#include <array>
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "attest/common/openssl_ptr.h"
#include "attest/simsp/intel_shaped_pki.h"

namespace pv::attest::tdx::testing_pki {

// Fixed clock for synthetic material: certificates valid 2020..2040, collateral issued
// 2026-01-01 with nextUpdate 2026-02-01, verification at kNow.
inline constexpr time_t kNow = 1767571200;              // 2026-01-05T00:00:00Z
inline constexpr time_t kCollateralIssue = 1767225600;  // 2026-01-01T00:00:00Z
inline constexpr time_t kCollateralNext = 1769904000;   // 2026-02-01T00:00:00Z

using PckTcb = pv::attest::simsp::intel::PckTcb;

struct QuoteSpec {
  int version = 4;
  int body_type = 2;  // v5 only: 2 or 3
  std::array<uint8_t, 16> tee_tcb_svn{3, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  uint8_t td_attributes0 = 0;  // byte 0 of TD_ATTRIBUTES (bit 0 = DEBUG)
  uint16_t qe_isvsvn = 8;
  uint16_t qe_isvprodid = 2;
  std::string qe_auth_data = std::string(32, '\x5a');
  bool corrupt_binding_padding = false;  // nonzero byte in the upper 32 bytes of REPORT_DATA
  // TD body fields a relying party binds or appraises; empty = the fixed test pattern.
  std::string report_data;  // 64 bytes
  std::string mr_td;        // 48 bytes
};

class TestPki {
 public:
  // Builds the hierarchy. `revoke_pck` lists the PCK leaf serial in the PCK CRL;
  // `revoke_pck_ca` lists the PCK CA in the root CRL.
  explicit TestPki(const PckTcb& tcb = PckTcb(), time_t leaf_not_after = 2208988800 /*2040*/);

  std::string RootPem() const;
  std::string PckChainPem() const;         // leaf, PCK CA, root
  std::string TcbSigningChainPem() const;  // TCB signing cert, root
  std::string PckCrlDer(bool revoke_pck, time_t this_update = kCollateralIssue,
                        time_t next_update = kCollateralNext) const;
  std::string RootCrlDer(bool revoke_pck_ca, time_t this_update = kCollateralIssue,
                         time_t next_update = kCollateralNext) const;

  std::string MakeQuote(const QuoteSpec& spec) const;

  // {"tcbInfo":<body>,"signature":"<hex>"} with `body` signed byte-for-byte.
  std::string SignTcbInfo(const std::string& body) const;
  std::string SignQeIdentity(const std::string& body) const;
  // Raw r||s ECDSA-P256/SHA-256 signature by the TCB signing key (hex).
  std::string TcbSignHex(const std::string& data) const;

  const PckTcb& tcb() const { return tcb_; }

 private:
  PckTcb tcb_;
  EvpPkeyPtr root_key_, ca_key_, leaf_key_, tcb_key_;
  X509Ptr root_, ca_, leaf_, tcb_signer_;
};

// A TDX TCB info body (the value of "tcbInfo") for `fmspc` with the given levels JSON and
// tdxModuleIdentities JSON (may be empty for none).
std::string TcbInfoBody(const std::string& fmspc_hex, const std::string& levels_json,
                        const std::string& module_identities_json, time_t issue = kCollateralIssue,
                        time_t next = kCollateralNext);
// One platform level: SGX components, PCESVN, TDX components, status, advisories.
std::string PlatformLevel(const std::array<uint8_t, 16>& sgx, int pcesvn,
                          const std::array<uint8_t, 16>& tdx, const std::string& status,
                          const std::vector<std::string>& advisories = {});
// A QE identity body matching the QE report of MakeQuote, with levels (isvsvn, status).
std::string QeIdentityBody(const std::vector<std::pair<int, std::string>>& levels,
                           const std::string& mrsigner_hex = "", time_t issue = kCollateralIssue,
                           time_t next = kCollateralNext);
// The DER of an SGX PCK extension (the contents of its OCTET STRING) for `tcb`.
std::string SgxExtensionDer(const PckTcb& tcb);

// The MRSIGNER MakeQuote writes into the QE report (hex).
std::string QeMrSignerHex();

}  // namespace pv::attest::tdx::testing_pki

#endif  // PV_TESTS_ATTEST_TDX_TEST_PKI_H_
