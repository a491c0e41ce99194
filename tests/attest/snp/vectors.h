// Access to the shared attestation vectors (read in place from ${PV_SHARED_DIR}/vectors).
#ifndef PV_TESTS_ATTEST_SNP_VECTORS_H_
#define PV_TESTS_ATTEST_SNP_VECTORS_H_

#include <string>

#include "attest/common/bytes.h"

namespace pv::attest::testing {

inline std::string VectorPath(const std::string& rel) {
  return std::string(PV_VECTORS_DIR) + "/" + rel;
}

// Reads a vector file; aborts the test binary if it is missing (the suite cannot run without).
Bytes ReadVector(const std::string& rel);

}  // namespace pv::attest::testing

#endif  // PV_TESTS_ATTEST_SNP_VECTORS_H_
