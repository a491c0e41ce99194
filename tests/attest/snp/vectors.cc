#include "tests/attest/snp/vectors.h"

#include <cstdlib>
#include <iostream>

namespace pv::attest::testing {

Bytes ReadVector(const std::string& rel) {
  auto data = ReadFileBytes(VectorPath(rel));
  if (!data.ok()) {
    std::cerr << "missing attestation vector: " << data.status().message() << "\n";
    std::abort();
  }
  return *data;
}

}  // namespace pv::attest::testing
