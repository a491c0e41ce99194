#include "attest/secrets.h"

#include "lib/string.h"

namespace pv::attest {

Status ParseSecretsPage(const u8* page, usize len, u32 index, u8 key[attest_proto::kVmpckSize]) {
  using attest_proto::SecretsPage;
  if (len != sizeof(SecretsPage)) {
    return Status(Err::kInvalidArgument, "secrets page: not exactly one 4 KiB page");
  }
  if (index >= attest_proto::kVmpckCount) {
    return Status(Err::kInvalidArgument, "secrets page: VMPCK index above 3");
  }
  u32 version = 0;
  memcpy(&version, page + offsetof(SecretsPage, version), sizeof(version));
  if (version == 0) return Status(Err::kNotFound, "secrets page: none at this address (zeros)");
  // Version 2 and 3 share the VMPCK offsets; anything else is a layout this code does not know.
  if (version != 2 && version != attest_proto::kSecretsPageVersion) {
    return Status(Err::kUnsupported, "secrets page: unknown layout version (want 2 or 3)");
  }
  const u8* k = page + offsetof(SecretsPage, vmpck) + index * attest_proto::kVmpckSize;
  u8 any = 0;
  for (usize i = 0; i < attest_proto::kVmpckSize; ++i) any |= k[i];
  if (any == 0) return Status(Err::kNotFound, "secrets page: the VMPCK is all zeros (wiped)");
  memcpy(key, k, attest_proto::kVmpckSize);
  return Status::Ok();
}

}  // namespace pv::attest
