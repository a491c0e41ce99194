// The guest ABI: what a guest finds when the paravisor starts it, and the hypercalls it may
// make. This header is the single source: entry/asm_offsets.cpp exports these constants to
// NASM (pv_asm_offsets.inc) for the project's own test guests, and README.md documents them.
#ifndef PV_GUEST_ABI_H_
#define PV_GUEST_ABI_H_

#include "lib/types.h"

namespace pv::abi {

// Guest-physical layout. RAM starts at 0 and is `mem_size` bytes; everything above is unmapped
// (an access stops the guest with a nested-page-fault report).
constexpr u64 kBootInfoGpa = 0x1000;  // struct BootInfo
constexpr u64 kCmdlineGpa = 0x1100;   // the module's command line, NUL-terminated
constexpr u64 kCmdlineMax = 0x0f00;   // bytes, including the NUL
constexpr u64 kGdtGpa = 0x2000;       // null, 0x08 code64, 0x10 data, 0x18 TSS
constexpr u64 kTssGpa = 0x2100;
constexpr u64 kPageTablesGpa = 0x3000;       // PML4; PDPT at +0x1000; PD at +0x2000
// The guest secrets page (SEV-SNP secrets-page layout, protocol/attest/secrets_page.h, holding
// only VMPCK2 and VMPCK3) of the first tee=sev-snp guest of a measured SEV-SNP partition with
// attestation available; zeros otherwise. Private to the guest; for the SNP guest request NAE.
constexpr u64 kGuestSecretsPageGpa = 0x9000;
constexpr u64 kImageBase = 0x100000;         // flat images load (and start) here
constexpr u64 kMaxGuestMemory = 1ull << 30;  // the boot page tables map up to 1 GiB
constexpr u64 kMinGuestMemory = 2ull << 20;

constexpr u16 kGuestCodeSelector = 0x08;
constexpr u16 kGuestDataSelector = 0x10;
constexpr u16 kGuestTssSelector = 0x18;

constexpr u32 kBootInfoMagic = 0x42475650;  // "PVGB"
constexpr u32 kBootInfoVersion = 1;
constexpr u64 kAbiVersion = 3;  // 2: GET_EVIDENCE, 3: GET_SECRET

struct BootInfo {
  u32 magic;
  u32 version;
  u64 mem_size;     // bytes of guest RAM at GPA 0
  u64 cmdline_gpa;  // kCmdlineGpa
  u32 cmdline_len;  // bytes, excluding the NUL
  u32 vcpu_count;   // always 1 for now
  u64 image_start;  // lowest GPA the loader wrote
  u64 image_end;    // one past the highest
};

// Hypercalls: VMMCALL (AMD) or VMCALL (Intel) with the number in RAX, arguments in RDI, RSI,
// RDX; the result comes back in RAX (>= 0 success, negative errno-style failure). Only the
// instruction's own registers change.
enum Hypercall : u64 {
  kHcGetAbiVersion = 0,  // -> kAbiVersion
  kHcPrint = 1,          // RDI = guest-virtual buffer, RSI = length (<= kPrintMax) -> 0
  kHcExit = 2,           // RDI = exit code; the guest stops and does not return
  kHcNop = 3,            // -> 0; a round trip through the full exit path (benchmarks)
  // ABI v2. RDI = guest-virtual output buffer, RSI = its length, RDX = guest-virtual address of
  // the 64-byte REPORT_DATA -> bytes of evidence written (SEV-SNP: the 1184-byte
  // ATTESTATION_REPORT; TDX: the quote). The buffer is written only on success.
  kHcGetEvidence = 4,
  // ABI v3. RDI = guest-virtual output buffer, RSI = its length, RDX = resource index (the
  // order of the partition spec's attestation.resources) -> the secret's length; the buffer is
  // written only on success, all or nothing, and the paravisor then wipes its copy (a second
  // call for the same index answers kHcErrSecretTaken). On failure RDX carries the reason:
  //   kHcErrNotAttested   the attestation has not finished yet (retry after a timer tick)
  //   kHcErrDenied        the KBS refused; RDX = 1 evidence/attestation policy rejected,
  //                       2 resource not granted by the policy, 3 no such resource, 4 other
  //   kHcErrUnavailable   RDX = 1 no KBS configured, 2 KBS unreachable, 3 no host relay,
  //                       4 an answer that was malformed or did not decrypt, 5 no evidence
  kHcGetSecret = 5,
};
constexpr u64 kPrintMax = 4096;
constexpr u64 kReportDataSize = 64;
constexpr u64 kEvidenceMax = 32768;  // longer buffers are fine; at most this much is written

// Numbers at or above this are the test build's hooks (paravisor-test.elf); the production
// image answers them with kHcErrNoSys.
constexpr u64 kHcTestBase = 0x7e00000000000000ull;

constexpr i64 kHcErrNoSys = -38;         // unknown hypercall
constexpr i64 kHcErrInval = -22;         // an argument is out of range
constexpr i64 kHcErrFault = -14;         // a buffer is not mapped in guest memory
constexpr i64 kHcErrIo = -5;             // the secure processor or its transport failed
constexpr i64 kHcErrTooBig = -7;         // the evidence does not fit the buffer (E2BIG)
constexpr i64 kHcErrNotSupported = -95;  // no attestation here (no secrets page, key wiped)
constexpr i64 kHcErrNotAttested = -11;   // GET_SECRET: not yet attested (EAGAIN)
constexpr i64 kHcErrDenied = -13;        // GET_SECRET: the KBS refused (EACCES)
constexpr i64 kHcErrUnavailable = -19;   // GET_SECRET: no KBS / unreachable / unusable (ENODEV)
constexpr i64 kHcErrSecretTaken = -2;    // GET_SECRET: already handed over, or no such index
constexpr u64 kSecretMax = 4096;         // the largest secret GET_SECRET returns

}  // namespace pv::abi

#endif  // PV_GUEST_ABI_H_
