// DER encodings of the small values AMD puts inside its VCEK/VLEK extensions (INTEGER SPLs,
// IA5String productName). Used by the simulated AMD-SP and the tests' synthetic AMD PKI.
#ifndef PV_ATTEST_SIMSP_DER_VALUES_H_
#define PV_ATTEST_SIMSP_DER_VALUES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace pv::attest::simsp {

std::vector<uint8_t> DerInteger(int64_t value);
std::vector<uint8_t> DerIa5String(const std::string& value);

}  // namespace pv::attest::simsp

#endif  // PV_ATTEST_SIMSP_DER_VALUES_H_
