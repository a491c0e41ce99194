// libFuzzer target: the /kbs/v0/auth request body, the KBS policy document, resource paths and
// bearer tokens (Authorization header and compact JWT; the first byte selects which parser
// gets the rest).
#include <cstddef>
#include <cstdint>
#include <string>

#include "kbs/jwt.h"
#include "kbs/kbs_policy.h"
#include "kbs/protocol.h"
#include "kbs/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      (void)pv::kbs::ParseAuthRequest(rest);
      break;
    case 1: {
      auto policy = pv::kbs::ParseKbsPolicy(rest);
      if (policy.ok()) {
        std::string why;
        (void)pv::kbs::ResourceAllowed(*policy, "default", "key", "demo", pv::kbs::TeeKind::kSnp,
                                       std::string(96, 'a'), &why);
      }
      break;
    }
    case 3: {
      (void)pv::kbs::ParseCompactJwt(rest);
      (void)pv::kbs::ParseCompactJwt(pv::kbs::BearerToken(rest));
      break;
    }
    default:
      (void)pv::kbs::ParseResourcePath(rest);
  }
  return 0;
}
