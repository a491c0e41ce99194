// The SEV-SNP secrets page (as the AMD-SP fills it at SNP_LAUNCH_UPDATE of a SECRETS page) and
// where a launch of this project places it and the CPUID page.
//
// Freestanding (firmware and host); layout per the SEV-SNP firmware ABI, table "secrets page":
// version, imi_en, fms, gosvw, then VMPCK0..3 (32 bytes each). On the emulated platforms the
// simulated secure processor generates the VMPCKs per partition and the host agent's launch
// writes the page; the paravisor must never log or forward a VMPCK and wipes one on any
// guest-message failure (the sequence number / IV can then never be reused).
#ifndef PV_PROTOCOL_ATTEST_SECRETS_PAGE_H_
#define PV_PROTOCOL_ATTEST_SECRETS_PAGE_H_

#include <stddef.h>
#include <stdint.h>

namespace pv::attest_proto {

// Guest-physical addresses of the launch's special pages. Below 1 MiB the paravisor's page
// allocator never hands out memory, and SeaBIOS/the Bochs loader leave 0x80000..0x9EFFF alone.
inline constexpr uint64_t kSecretsPageGpa = 0x8F000;
inline constexpr uint64_t kCpuidPageGpa = 0x8E000;

inline constexpr uint32_t kSecretsPageVersion = 3;  // layout version with VMPCKs at 0x20
inline constexpr size_t kVmpckSize = 32;
inline constexpr size_t kVmpckCount = 4;

struct SecretsPage {
  uint32_t version;                      // 0x000
  uint32_t imi_en;                       // 0x004: bit 0
  uint32_t fms;                          // 0x008: family/model/stepping
  uint32_t rsvd1;                        // 0x00C
  uint8_t gosvw[16];                     // 0x010: guest OS-visible workarounds
  uint8_t vmpck[kVmpckCount][kVmpckSize];  // 0x020..0x09F
  uint8_t rsvd2[96];                     // 0x0A0
  uint8_t vmsa_tweak_bitmap[64];         // 0x100
  uint8_t rsvd3[32];                     // 0x140
  uint32_t tsc_factor;                   // 0x160
  uint8_t rsvd4[4096 - 0x164];
};
static_assert(sizeof(SecretsPage) == 4096);
static_assert(offsetof(SecretsPage, vmpck) == 0x20);
static_assert(offsetof(SecretsPage, vmsa_tweak_bitmap) == 0x100);
static_assert(offsetof(SecretsPage, tsc_factor) == 0x160);

}  // namespace pv::attest_proto

#endif  // PV_PROTOCOL_ATTEST_SECRETS_PAGE_H_
