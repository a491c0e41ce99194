// libFuzzer target: the appraisal-policy JSON parser (a policy file is operator input, but it
// is still parsed with bounds and without exceptions).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "attest/policy/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)pv::attest::policy::ParsePolicyJson(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
