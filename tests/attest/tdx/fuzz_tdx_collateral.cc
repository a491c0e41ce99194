// libFuzzer target: the TCB info / QE identity document parsers and the raw JSON member
// scanner (which must return the exact signed bytes) on arbitrary bytes.
#include <cstddef>
#include <cstdint>

#include "attest/tdx/collateral.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pv::attest::tdx;  // NOLINT
  const absl::string_view doc(reinterpret_cast<const char*>(data), size);
  auto members = TopLevelMembers(doc);
  if (members.ok()) {
    for (const auto& m : *members) {
      // Every member value is a slice of the input.
      if (m.second.data() < doc.data() || m.second.data() + m.second.size() > doc.data() + size) {
        __builtin_trap();
      }
    }
  }
  auto tcb = ParseTcbInfoDocument(doc);
  if (tcb.ok() && tcb->signed_json.signature.size() != 64) __builtin_trap();
  auto qe = ParseQeIdentityDocument(doc);
  if (qe.ok() && qe->signed_json.signature.size() != 64) __builtin_trap();
  return 0;
}
