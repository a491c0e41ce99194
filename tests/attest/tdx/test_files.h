// Access to the shared attestation vectors (PV_TDX_VECTORS_DIR is set by CMake from
// PV_SHARED_DIR; vectors are read in place, never copied into the repository).
#ifndef PV_TESTS_ATTEST_TDX_TEST_FILES_H_
#define PV_TESTS_ATTEST_TDX_TEST_FILES_H_

#include <fstream>
#include <sstream>
#include <string>

namespace pv::attest::tdx {

inline std::string VectorPath(const std::string& rel) {
  return std::string(PV_TDX_VECTORS_DIR) + "/" + rel;
}

// The bytes of a vector file; empty if it cannot be read (tests then fail on their asserts).
inline std::string ReadVector(const std::string& rel) {
  std::ifstream in(VectorPath(rel), std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace pv::attest::tdx

#endif  // PV_TESTS_ATTEST_TDX_TEST_FILES_H_
