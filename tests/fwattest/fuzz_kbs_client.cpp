// libFuzzer over the paravisor KBS client's parsers of host-relayed bytes (paravisor/kbs): the
// bounded JSON reader (check, member lookups, string decoding), strict base64/base64url and the
// JWE opener with a fixed tee key (whatever the input, it must fail cleanly or, for a real JWE,
// open). Built for the host from the firmware's sources.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "kbs/base64.h"
#include "kbs/json.h"
#include "kbs/jwe.h"
#include "kbs/tee_key.h"

namespace {

using namespace pv::kbs_client;  // NOLINT(google-build-using-namespace)

int FixedRng(void*, unsigned char* out, size_t len) {
  for (size_t i = 0; i < len; ++i) out[i] = static_cast<unsigned char>(i * 131 + 7);
  return 0;
}

TeeKey& Key() {
  static TeeKey key;
  static bool ready = [] { return key.Generate(FixedRng, nullptr).ok(); }();
  (void)ready;
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  static uint8_t out[kMaxSecret];
  char str[512];
  if (JsonCheck(text, size).ok()) {
    const JsonSpan root{text, size};
    for (const char* key : {"nonce", "type", "protected", "ciphertext", "token", "detail"}) {
      (void)JsonMemberString(root, key, str, sizeof(str));
      pv::Result<JsonSpan> m = JsonMember(root, key);
      if (m.ok()) (void)JsonTypeOf(m.value());
    }
    (void)JsonMemberCount(root);
  }
  (void)Base64Decode(B64::kStandard, text, size, out, sizeof(out));
  (void)Base64Decode(B64::kUrl, text, size, out, sizeof(out));
  (void)OpenJwe(text, size, Key(), FixedRng, nullptr, out, sizeof(out));
  return 0;
}
