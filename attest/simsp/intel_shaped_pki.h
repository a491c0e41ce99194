// Building blocks for Intel-shaped TDX attestation material, with OpenSSL: P-256 certificates
// (optionally carrying the SGX PCK extension, OID 1.2.840.113741.1.13.1, written with a small DER
// writer), CRLs, raw r||s ECDSA-P256 signatures, the 384-byte QE report, the ECDSA quote
// signature data (certification data type 6 around type 5 = PCK chain PEM), and TCB info /
// QE identity documents signed over their exact bytes as Intel PCS signs them.
//
// ONE mechanism, two users: the SIMULATED TDX quoting path (sim_tdx_quoting.h, a test platform,
// never a trust anchor) and the tests' synthetic PKI (tests/attest/tdx/test_pki.h). Layouts are
// the ones the project's verifier (attest/tdx) parses; nothing here is Intel's code.
#ifndef PV_ATTEST_SIMSP_INTEL_SHAPED_PKI_H_
#define PV_ATTEST_SIMSP_INTEL_SHAPED_PKI_H_

#include <array>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "attest/common/openssl_ptr.h"

namespace pv::attest::simsp::intel {

// What the PCK leaf's SGX extension states about the platform.
struct PckTcb {
  std::array<uint8_t, 16> components{5, 5, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0};
  uint16_t pcesvn = 13;
  std::string fmspc = std::string("\x90\xc0\x6f\x00\x00\x00", 6);
  std::string pceid = std::string("\x00\x00", 2);
};

// The DER of an SGX PCK extension (the contents of its OCTET STRING) for `tcb`: PPID, TCB (16
// components, PCESVN, CPUSVN), PCE-ID, FMSPC, SGX type.
std::string SgxExtensionDer(const PckTcb& tcb);

absl::StatusOr<EvpPkeyPtr> NewP256Key();

struct CertSpec {
  std::string common_name;
  std::string organization;
  std::string organizational_unit;  // empty = none
  long serial = 1;
  bool is_ca = false;
  time_t not_before = 0;
  time_t not_after = 0;
  std::string sgx_extension;  // DER from SgxExtensionDer, or empty
};

// A P-256 certificate for `key`, signed ECDSA-SHA256 by `issuer_key` (`issuer` null =
// self-signed), with basicConstraints, keyUsage, SKI and (when issued) AKI.
absl::StatusOr<X509Ptr> IssueCertificate(const CertSpec& spec, X509* issuer, EVP_PKEY* issuer_key,
                                         EVP_PKEY* key);

// A v2 CRL by `issuer`, listing `revoked` (may be null) as revoked at `this_update`.
absl::StatusOr<std::string> CrlDer(X509* issuer, EVP_PKEY* issuer_key, X509* revoked,
                                   time_t this_update, time_t next_update);

std::string CertificatePem(X509* cert);
absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key);
absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(std::string_view pem);

// ECDSA-P256/SHA-256 over `data`, as raw r||s (64 bytes), s in low-S form (s <= n/2).
absl::StatusOr<std::string> SignP256Raw(EVP_PKEY* key, std::string_view data);
// The uncompressed public point without its 0x04 prefix (x||y, 64 bytes).
absl::StatusOr<std::string> P256PublicXY(EVP_PKEY* key);

// --- Quote pieces (Intel DCAP quote v4) ----------------------------------------------------
inline constexpr char kIntelQeVendorId[] =
    "\x93\x9a\x72\x33\xf7\x9c\x4c\xa9\x94\x0a\x0d\xb3\x95\x7f\x06\x07";

// The 48-byte header: version, attestation key type 2 (ECDSA-P256), TEE type 0x81, QE SVN,
// PCE SVN, QE vendor id, 20 bytes of user data.
std::string QuoteHeader(uint16_t version, uint16_t qe_svn, uint16_t pce_svn,
                        std::string_view user_data = {});

// SGX REPORT_BODY fields of the QE report that verifiers appraise.
struct QeReportFields {
  std::array<uint8_t, 16> cpusvn{};
  uint32_t miscselect = 0;
  std::array<uint8_t, 16> attributes{0x11};  // INIT | MODE64BIT
  std::string mrenclave = std::string(32, '\0');
  std::string mrsigner = std::string(32, '\0');
  uint16_t isvprodid = 0;
  uint16_t isvsvn = 0;
};

// The 384-byte QE report whose REPORT_DATA binds the attestation key:
// SHA-256(ak_xy || qe_auth_data) followed by 32 zero bytes.
std::string QeReport(const QeReportFields& fields, std::string_view ak_xy,
                     std::string_view qe_auth_data);

// The signed part of a quote (header and body; v5 also body type and size) with its signature
// data appended: AK signature, AK, certification data type 6 (QE report, its PCK signature,
// QE auth data, certification data type 5 = `pck_chain_pem`).
struct QeCertification {
  std::string qe_report;      // 384 bytes
  std::string qe_report_sig;  // r||s by the PCK leaf key
  std::string qe_auth_data;
  std::string pck_chain_pem;
};
// `ak_xy` is P256PublicXY(ak) (computed once by a caller that signs many quotes).
absl::StatusOr<std::string> SignQuote(std::string signed_part, EVP_PKEY* ak, std::string_view ak_xy,
                                      const QeCertification& qe);

// --- Collateral documents --------------------------------------------------------------------
// One TDX platform TCB level: SGX components, PCESVN, TDX components, status, advisories.
std::string PlatformLevel(const std::array<uint8_t, 16>& sgx, int pcesvn,
                          const std::array<uint8_t, 16>& tdx, const std::string& status,
                          const std::vector<std::string>& advisories = {});

struct TcbInfoFields {
  std::string fmspc_hex;
  std::string pceid_hex = "0000";
  time_t issue = 0;
  time_t next_update = 0;
  std::string module_mrsigner_hex = std::string(96, '0');
  std::string levels_json;             // comma-separated PlatformLevel()s
  std::string module_identities_json;  // a JSON array, or empty for none
};
// One tdxModuleIdentities entry ("TDX_%02X" by module major version) with its isvsvn levels
// (isvsvn, tcbDate, status, advisories), highest first.
struct ModuleLevel {
  int isvsvn = 0;
  std::string tcb_date;
  std::string status;
  std::vector<std::string> advisories;
};
std::string TdxModuleIdentity(const std::string& id, const std::string& mrsigner_hex,
                              const std::vector<ModuleLevel>& levels);

// The value of "tcbInfo" (id TDX, version 3).
std::string TcbInfoBody(const TcbInfoFields& fields);

struct QeIdentityFields {
  std::vector<std::pair<int, std::string>> levels;  // (isvsvn, status), highest first
  std::string mrsigner_hex;
  int isvprodid = 2;
  time_t issue = 0;
  time_t next_update = 0;
};
// The value of "enclaveIdentity" (id TD_QE, version 2; MISCSELECT 0, ATTRIBUTES 0x11 masked).
std::string QeIdentityBody(const QeIdentityFields& fields);

// {"<member>":<body>,"signature":"<hex r||s over the exact bytes of body>"}.
absl::StatusOr<std::string> SignedCollateral(std::string_view member, const std::string& body,
                                             EVP_PKEY* tcb_signing_key);

std::string FormatIsoTime(time_t t);

}  // namespace pv::attest::simsp::intel

#endif  // PV_ATTEST_SIMSP_INTEL_SHAPED_PKI_H_
