// Builds HCL reports for tests (attest/hcl/hcl_report.h layout) around a given hardware report
// and runtime-claims JSON, the way the paravisor lays them out in the vTPM NV index.
#ifndef PV_TESTS_ATTEST_HCL_HCL_TEST_BUILDER_H_
#define PV_TESTS_ATTEST_HCL_HCL_TEST_BUILDER_H_

#include <cstring>
#include <string>

#include "attest/common/bytes.h"
#include "attest/hcl/hcl_report.h"

namespace pv::attest::hcl::testing {

inline void PutLe32(Bytes* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// `hardware` is at most 1184 bytes (zero-filled); `padding` zero bytes follow report_size.
inline Bytes BuildHcl(uint32_t report_type, const Bytes& hardware, const std::string& claims,
                      size_t padding = 0) {
  const size_t data_size = kRequestDataFixedSize + claims.size();
  const size_t report_size = kRequestDataOffset + data_size;
  Bytes b(report_size + padding, 0);
  std::memcpy(b.data(), "HCLA", 4);
  PutLe32(&b, 4, 2);  // version
  PutLe32(&b, 8, static_cast<uint32_t>(report_size));
  PutLe32(&b, 12, 2);  // request type
  std::memcpy(b.data() + kHeaderSize, hardware.data(), hardware.size());
  PutLe32(&b, kRequestDataOffset, static_cast<uint32_t>(data_size));
  PutLe32(&b, kRequestDataOffset + 4, 1);
  PutLe32(&b, kRequestDataOffset + 8, report_type);
  PutLe32(&b, kRequestDataOffset + 12, 1);  // SHA-256
  PutLe32(&b, kRequestDataOffset + 16, static_cast<uint32_t>(claims.size()));
  std::memcpy(b.data() + kRequestDataOffset + kRequestDataFixedSize, claims.data(), claims.size());
  return b;
}

inline const char* kClaims =
    R"({"keys":[{"kid":"HCLAkPub","key_ops":["sign"],"kty":"RSA","e":"AQAB","n":"sYnth"}],)"
    R"("vm-configuration":{"secure-boot":true,"tpm-enabled":true},"user-data":"00ab"})";

}  // namespace pv::attest::hcl::testing

#endif  // PV_TESTS_ATTEST_HCL_HCL_TEST_BUILDER_H_
