#include "ghcb/nae.h"

namespace pv::ghcb {
namespace {

// SVM IOIO EXITINFO1 (APM vol. 2, 15.10.2), the format IOIO NAE events carry.
constexpr u64 kIoioIn = 1ull << 0;
constexpr u64 kIoioString = 1ull << 2;
constexpr u64 kIoioSizeMask = 7ull << 4;  // one of SZ8, SZ16, SZ32
constexpr u64 kIoioAddrMask = 7ull << 7;  // one of A16, A32, A64

NaeDecode Fail(GhcbError error, const char* why) {
  NaeDecode d;
  d.error = error;
  d.why = why;
  return d;
}

bool OneBit(u64 v) {
  return v != 0 && (v & (v - 1)) == 0;
}

// SW_SCRATCH must point into this GHCB's shared buffer with `length` bytes after it.
bool ScratchInBuffer(u64 scratch, u64 ghcb_gpa, u64 length, usize* offset) {
  const u64 begin = ghcb_gpa + kSharedBufferOffset;
  if (scratch < begin || length > kSharedBufferSize) return false;
  const u64 off = scratch - begin;
  if (off > kSharedBufferSize - length) return false;
  *offset = static_cast<usize>(off);
  return true;
}

}  // namespace

NaeDecode DecodeNae(const GhcbPage& page, u64 ghcb_gpa, const SharedPages& shared) {
  if (page.ghcb_usage != kUsageStandard)
    return Fail(GhcbError::kInvalidUsage, "GHCB usage is not 0");
  if (page.protocol_version < kProtocolMin || page.protocol_version > kProtocolMax) {
    return Fail(GhcbError::kInvalidUsage, "GHCB protocol version outside 1..2");
  }
  if (!IsValid(page, Field::kSwExitCode) || !IsValid(page, Field::kSwExitInfo1) ||
      !IsValid(page, Field::kSwExitInfo2)) {
    return Fail(GhcbError::kMissingInput, "SW_EXITCODE/SW_EXITINFO1/SW_EXITINFO2 not valid");
  }
  NaeDecode d;
  NaeRequest& r = d.request;
  r.exit_code = page.sw_exit_code;
  r.info1 = page.sw_exit_info_1;
  r.info2 = page.sw_exit_info_2;
  auto need = [&](Field f) { return IsValid(page, f); };
  const auto missing = [](const char* why) { return Fail(GhcbError::kMissingInput, why); };
  switch (r.exit_code) {
    case exit_code::kCpuid:
      r.kind = NaeKind::kCpuid;
      if (!need(Field::kRax) || !need(Field::kRcx)) return missing("CPUID needs RAX and RCX");
      r.rax = page.rax;
      r.rcx = page.rcx;
      if (static_cast<u32>(r.rax) == 0xd) {
        if (!need(Field::kXcr0)) return missing("CPUID leaf 0xD needs XCR0");
        r.xcr0 = page.xcr0;
      }
      break;
    case exit_code::kIoio: {
      r.kind = NaeKind::kIoio;
      const u64 size_bits = r.info1 & kIoioSizeMask;
      const u64 addr_bits = r.info1 & kIoioAddrMask;
      if (!OneBit(size_bits)) return Fail(GhcbError::kInvalidInput, "IOIO size bits");
      r.size = size_bits == (1ull << 4) ? 1 : size_bits == (1ull << 5) ? 2 : 4;
      r.in = r.info1 & kIoioIn;
      r.string = r.info1 & kIoioString;
      r.port = static_cast<u16>(r.info1 >> 16);
      if (r.string) {
        if (!OneBit(addr_bits)) return Fail(GhcbError::kInvalidInput, "IOIO address-size bits");
        if (!need(Field::kSwScratch)) return missing("string IOIO needs SW_SCRATCH");
        if (r.info2 == 0 || r.info2 > kSharedBufferSize) {
          return Fail(GhcbError::kInvalidScratchArea, "string IOIO count does not fit the buffer");
        }
        r.count = static_cast<u32>(r.info2);
        r.buffer_length = static_cast<usize>(r.count) * r.size;
        if (!ScratchInBuffer(page.sw_scratch, ghcb_gpa, r.buffer_length, &r.buffer_offset)) {
          return Fail(GhcbError::kInvalidScratchArea,
                      "string IOIO data outside the GHCB shared buffer");
        }
      } else if (!r.in) {
        if (!need(Field::kRax)) return missing("OUT needs RAX");
        r.rax = page.rax;
      }
      break;
    }
    case exit_code::kMsr:
      r.kind = NaeKind::kMsr;
      if (r.info1 > 1) return Fail(GhcbError::kInvalidInput, "MSR direction is not 0 or 1");
      r.msr_write = r.info1 == 1;
      if (!need(Field::kRcx)) return missing("MSR needs RCX");
      r.rcx = page.rcx;
      if (r.msr_write) {
        if (!need(Field::kRax) || !need(Field::kRdx)) return missing("WRMSR needs RAX and RDX");
        r.rax = page.rax;
        r.rdx = page.rdx;
      }
      break;
    case exit_code::kMmioRead:
    case exit_code::kMmioWrite:
      r.kind = r.exit_code == exit_code::kMmioRead ? NaeKind::kMmioRead : NaeKind::kMmioWrite;
      if (!need(Field::kSwScratch)) return missing("MMIO needs SW_SCRATCH");
      if (r.info2 != 1 && r.info2 != 2 && r.info2 != 4 && r.info2 != 8) {
        return Fail(GhcbError::kInvalidInput, "MMIO length is not 1, 2, 4 or 8");
      }
      r.mmio_gpa = r.info1;
      r.mmio_length = static_cast<u8>(r.info2);
      r.buffer_length = r.mmio_length;
      if (!ScratchInBuffer(page.sw_scratch, ghcb_gpa, r.buffer_length, &r.buffer_offset)) {
        return Fail(GhcbError::kInvalidScratchArea, "MMIO data outside the GHCB shared buffer");
      }
      break;
    case exit_code::kVmmcall:
      r.kind = NaeKind::kVmmcall;
      if (!need(Field::kRax) || !need(Field::kCpl)) return missing("VMMCALL needs RAX and CPL");
      r.rax = page.rax;
      r.cpl = page.cpl;
      // The guest ABI's arguments (hypervisor-defined registers); not marked valid, they read
      // as 0.
      r.rdi = need(Field::kRdi) ? page.rdi : 0;
      r.rsi = need(Field::kRsi) ? page.rsi : 0;
      r.rdx = need(Field::kRdx) ? page.rdx : 0;
      break;
    case exit_code::kRdtsc:
      r.kind = NaeKind::kRdtsc;
      break;
    case exit_code::kRdtscp:
      r.kind = NaeKind::kRdtscp;
      break;
    case exit_code::kWbinvd:
      r.kind = NaeKind::kWbinvd;
      break;
    case exit_code::kInvd:
      r.kind = NaeKind::kInvd;
      break;
    case exit_code::kApResetHold:
      r.kind = NaeKind::kApResetHold;
      break;
    case exit_code::kSnpGuestRequest:
      r.kind = NaeKind::kGuestRequest;
      r.request_gpa = r.info1;
      r.response_gpa = r.info2;
      if (!IsAligned(r.request_gpa, kPageSize) || !IsAligned(r.response_gpa, kPageSize) ||
          !shared.ContainsRange(r.request_gpa, kPageSize) ||
          !shared.ContainsRange(r.response_gpa, kPageSize)) {
        return Fail(GhcbError::kInvalidInput, "guest-request pages not aligned and shared");
      }
      break;
    case exit_code::kHvFeatures:
      r.kind = NaeKind::kHvFeatures;
      break;
    case exit_code::kTermination:
      r.kind = NaeKind::kTermination;
      r.reason_set = static_cast<u8>(r.info1 & 0xf);
      r.reason_code = static_cast<u8>((r.info1 >> 4) & 0xff);
      break;
    default:
      return Fail(GhcbError::kInvalidEvent, "NAE event the paravisor does not serve");
  }
  d.ok = true;
  return d;
}

void BeginResponse(GhcbPage& page) {
  page.valid_bitmap[0] = 0;
  page.valid_bitmap[1] = 0;
}

void SetResult(GhcbPage& page, u64 info1, u64 info2) {
  page.sw_exit_info_1 = info1;
  page.sw_exit_info_2 = info2;
  SetValid(page, Field::kSwExitInfo1);
  SetValid(page, Field::kSwExitInfo2);
}

void SetError(GhcbPage& page, GhcbError error) {
  SetResult(page, kResultError, static_cast<u64>(error));
}

void SetOutput(GhcbPage& page, Field field, u64 value) {
  switch (field) {
    case Field::kRax:
      page.rax = value;
      break;
    case Field::kRbx:
      page.rbx = value;
      break;
    case Field::kRcx:
      page.rcx = value;
      break;
    case Field::kRdx:
      page.rdx = value;
      break;
    default:
      return;  // not an output register
  }
  SetValid(page, field);
}

}  // namespace pv::ghcb
