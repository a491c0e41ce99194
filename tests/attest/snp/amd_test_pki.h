// A synthetic AMD-shaped PKI for tests: an RSA ARK and ASK/ASVK signing with RSASSA-PSS, and a
// P-384 VCEK/VLEK carrying AMD's extensions, plus a builder for SNP reports signed by the VEK.
// It exercises what real vectors cannot: expired and not-yet-valid certificates, wrong PSS
// parameters, TCB and CHIP_ID mismatches under valid signatures, unpinned roots.
#ifndef PV_TESTS_ATTEST_SNP_AMD_TEST_PKI_H_
#define PV_TESTS_ATTEST_SNP_AMD_TEST_PKI_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attest/common/bytes.h"
#include "attest/common/openssl_ptr.h"
#include "attest/common/time_util.h"

namespace pv::attest::testing {

EvpPkeyPtr GenerateRsaKey(int bits);
EvpPkeyPtr GenerateEcKey(const char* group);

// DER encodings used inside AMD extensions.
Bytes DerInteger(int64_t value);
Bytes DerIa5String(const std::string& value);

struct CertSpec {
  std::string common_name;
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  int pss_salt = 48;
  const EVP_MD* pss_md = nullptr;  // null = SHA-384
  long serial = 0;                 // AMD VCEKs have serial 0
  // (OID, extension value bytes): the value is placed as-is in the extension OCTET STRING.
  std::vector<std::pair<std::string, Bytes>> extensions;
};

// Issues a certificate for `subject_key`, signed by `issuer_key` with RSASSA-PSS. `issuer` null
// makes it self-signed (the issuer name is the subject name).
X509Ptr IssueCertificate(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                         EVP_PKEY* issuer_key);

// A CRL issued by `issuer` (RSASSA-PSS SHA-384, salt 48) revoking `revoked_serials`.
X509CrlPtr IssueCrl(const X509* issuer, EVP_PKEY* issuer_key,
                    const std::vector<long>& revoked_serials, UnixTime this_update,
                    UnixTime next_update);
Bytes CrlToDer(const X509_CRL* crl);

std::string CertToPem(const X509* cert);
Bytes CertToDer(const X509* cert);

struct VekTcb {
  std::optional<uint8_t> fmc;
  uint8_t bl = 3, tee = 0, snp = 8, ucode = 115;
};

// AMD VEK extensions: structVersion, productName, SPLs, and hwID (VCEK) or cspId (VLEK).
std::vector<std::pair<std::string, Bytes>> VekExtensions(const std::string& product_name,
                                                         const VekTcb& tcb,
                                                         std::optional<Bytes> hwid,
                                                         std::optional<std::string> csp_id);

struct TestHierarchy {
  EvpPkeyPtr ark_key, ask_key, vek_key;
  X509Ptr ark, ask, vek;
  std::string chain_pem;  // ASK then ARK
  Bytes vek_der;
};

struct HierarchySpec {
  bool vlek = false;
  std::string product_name = "Milan-B0";
  VekTcb tcb;
  Bytes hwid = Bytes(64, 0xA5);
  UnixTime not_before = 1600000000;  // 2020-09-13
  UnixTime not_after = 2000000000;   // 2033-05-18
  UnixTime ask_not_after = 2000000000;
  int vek_pss_salt = 48;
  const char* vek_curve = "secp384r1";
};

// Keys are generated once per process and reused (RSA key generation is slow).
TestHierarchy MakeHierarchy(const HierarchySpec& spec);

// Fields of a synthetic report; everything else is zero.
struct ReportSpec {
  uint32_t version = 3;
  uint32_t guest_svn = 1;
  uint64_t policy = 0x30000;  // SMT allowed, reserved bit 17
  uint32_t vmpl = 0;
  uint32_t signing_key = 0;              // 0 VCEK, 1 VLEK, 7 none
  uint64_t tcb = 0x7308000000000003ull;  // Milan layout bl=3 tee=0 snp=8 ucode=115
  uint8_t cpuid_family = 0x19, cpuid_model = 0x01, cpuid_step = 0x01;
  Bytes chip_id = Bytes(64, 0xA5);
  std::array<uint8_t, 48> measurement{};
  std::array<uint8_t, 32> host_data{};
  std::array<uint8_t, 64> report_data{};
};

// Builds a 0x4A0-byte report and signs bytes 0..0x29F with `key` (ECDSA P-384/SHA-384).
Bytes BuildSignedReport(const ReportSpec& spec, EVP_PKEY* key);
// Re-signs an existing report in place (after a test mutated a field).
void SignReport(Bytes* report, EVP_PKEY* key);

}  // namespace pv::attest::testing

#endif  // PV_TESTS_ATTEST_SNP_AMD_TEST_PKI_H_
