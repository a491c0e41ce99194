// Reading VMPCK0 out of the SEV-SNP secrets page (protocol/attest/secrets_page.h).
//
// The page is untrusted until checked: on hardware the AMD-SP wrote it, here the host's launch
// (standing in for the simulated secure processor) did, so the paravisor copies it once into a
// private buffer, checks the layout version and the key, takes the key out and zeroes its copy.
// The key never reaches a log, an event or an error message.
#ifndef PV_ATTEST_SECRETS_H_
#define PV_ATTEST_SECRETS_H_

#include "../../protocol/attest/secrets_page.h"
#include "lib/status.h"
#include "lib/types.h"

namespace pv::attest {

// Parses a private copy of the secrets page (`len` must be exactly one page) and copies
// VMPCK<index> into `key`. Refuses a wrong layout version, an index above 3 and an all-zero key
// (a key that was wiped, or never provisioned).
Status ParseSecretsPage(const u8* page, usize len, u32 index, u8 key[attest_proto::kVmpckSize]);

}  // namespace pv::attest

#endif  // PV_ATTEST_SECRETS_H_
