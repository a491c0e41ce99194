// The reference for kbs/byte_arrays.h, for the unit test and the attest fuzz target's
// differential check: nlohmann's own parse, with every array of kMinByteArray or more
// unsigned integers 0..255 turned into a binary value afterwards.
#ifndef PV_TESTS_KBS_BYTE_ARRAY_REFERENCE_H_
#define PV_TESTS_KBS_BYTE_ARRAY_REFERENCE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kbs/byte_arrays.h"

namespace pv::kbs::testing {

inline void ConvertByteArrays(nlohmann::json* v) {
  if (v->is_array() && v->size() >= kMinByteArray) {
    std::vector<uint8_t> bytes;
    bool all_bytes = true;
    for (const nlohmann::json& e : *v) {
      if (!e.is_number_unsigned() || e.get<uint64_t>() > 255) {
        all_bytes = false;
        break;
      }
      bytes.push_back(static_cast<uint8_t>(e.get<uint64_t>()));
    }
    if (all_bytes) {
      *v = nlohmann::json::binary(std::move(bytes));
      return;
    }
  }
  if (v->is_structured()) {
    for (nlohmann::json& c : *v) ConvertByteArrays(&c);
  }
}

// Whether the fast path's result is the reference document: both invalid, or equal once any
// array the fast path left alone (its plain fallback) is converted too.
inline bool SameAsReference(nlohmann::json got, std::string_view text) {
  nlohmann::json want = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (got.is_discarded() || want.is_discarded()) {
    return got.is_discarded() && want.is_discarded();
  }
  ConvertByteArrays(&got);
  ConvertByteArrays(&want);
  return got == want;
}

}  // namespace pv::kbs::testing

#endif  // PV_TESTS_KBS_BYTE_ARRAY_REFERENCE_H_
