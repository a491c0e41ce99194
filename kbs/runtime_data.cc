#include "kbs/runtime_data.h"

#include <openssl/evp.h>

#include "kbs/jcs.h"

namespace pv::kbs {

absl::StatusOr<ReportData> RuntimeDataBinding(const nlohmann::json& runtime_data) {
  auto canonical = CanonicalJson(runtime_data);
  if (!canonical.ok()) return canonical.status();
  ReportData out{};
  unsigned int len = 0;
  if (EVP_Digest(canonical->data(), canonical->size(), out.data(), &len, EVP_sha384(), nullptr) !=
      1) {
    return absl::InternalError("SHA-384 failed");
  }
  return out;  // bytes 48..63 stay zero
}

}  // namespace pv::kbs
