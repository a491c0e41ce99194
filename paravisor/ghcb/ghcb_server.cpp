#include "ghcb/ghcb_server.h"

#include "../../protocol/attest/snp_guest_msg.h"
#include "exits/encrypted_exit.h"
#include "exits/handlers.h"
#include "ghcb/msr_protocol.h"
#include "ghcb/nae.h"
#include "lib/log.h"
#include "lib/string.h"
#include "proxy/exit_proxy.h"
#include "vcpu/protocol_registers.h"

namespace pv::ghcb {
namespace {

constexpr u32 kMsrTsc = 0x10;
constexpr u8 kAttestationKindGuestRequest = 1;  // AttestationKind::GuestRequest (exit proxy)

struct Range {
  usize offset;
  usize length;
};
// The GHCB bytes a request is read from: CPL, RAX, RCX..RDI, SW_EXITCODE..SW_SCRATCH, XCR0 and
// the valid bitmap, the protocol version and usage. (Copying the whole page with the firmware's
// byte-loop memcpy costs about 12,000 instructions per VMGEXIT.)
constexpr Range kGhcbInputs[] = {{0x0c8, 8},    {0x1f8, 8},    {0x308, 0x38},
                                 {0x390, 0x20}, {0x3e8, 0x18}, {0xff8, 8}};
// The answer: RAX, RCX, RDX, RBX, SW_EXITINFO1/2 and the valid bitmap.
constexpr Range kGhcbOutputs[] = {{0x1f8, 8}, {0x308, 0x18}, {0x398, 0x10}, {0x3f0, 0x10}};

// Events whose data travels from the guest in the shared buffer.
bool SendsBuffer(const NaeRequest& r) {
  return (r.kind == NaeKind::kIoio && r.string && !r.in) || r.kind == NaeKind::kMmioWrite;
}

// The CPUID registers the handlers left in the view, by the MSR protocol's numbering.
u64 CpuidRegister(const ProtocolRegisterView& view, u8 which) {
  switch (which) {
    case 0:
      return view.Get(kRax);
    case 1:
      return view.Get(kRbx);
    case 2:
      return view.Get(kRcx);
    default:
      return view.Get(kRdx);
  }
}

void ReportRefusal(Vcpu& vcpu, const char* what, const char* why) {
  ReportProtocolRefusal(vcpu, "ghcb", what, why);
}

ExitAction Violation(Vcpu& vcpu, u64 code, const char* why) {
  ConsoleFlush(vcpu);
  Log("ghcb: guest %u: %s: stopped", vcpu.guest_index, why);
  return vcpu.Stop(StopReason::kProtocolError, code, vcpu.tee.ghcb_msr, why);
}

ExitAction Terminate(Vcpu& vcpu, u8 reason_set, u8 reason_code) {
  ConsoleFlush(vcpu);
  Log("ghcb: guest %u: termination request, reason set %u code 0x%x", vcpu.guest_index, reason_set,
      reason_code);
  return vcpu.Stop(StopReason::kTerminated, (static_cast<u64>(reason_set) << 8) | reason_code, 0,
                   "guest requested termination (GHCB)");
}

// SNP page state change of one page: only pages of the guest's RAM, only to shared or private.
u32 ChangePageState(Vcpu& vcpu, u64 gfn, u8 op) {
  if (gfn >= vcpu.memory.size() / kPageSize) return kPscErrorOutsideGuest;
  if (op == kPscShared) return vcpu.tee.shared.Share(gfn) ? 0 : kPscErrorNoRoom;
  if (op == kPscPrivate) {
    vcpu.tee.shared.MakePrivate(gfn);
    return 0;
  }
  return kPscErrorBadOperation;
}

ExitAction ServeMsrProtocol(Vcpu& vcpu, const MsrRequest& r) {
  EncryptedState& t = vcpu.tee;
  switch (r.kind) {
    case MsrRequestKind::kSevInfo:
      t.ghcb_msr = EncodeSevInfo(kProtocolMax, kProtocolMin, kCbitPosition);
      return ExitAction::kResumeNext;
    case MsrRequestKind::kCpuid: {
      ProtocolRegisterView view(vcpu);
      view.Set(kRax, r.function);
      const ExitAction a = DispatchExit(vcpu, ProtocolExit(ExitReason::kCpuid));
      if (a == ExitAction::kStop) return a;
      t.ghcb_msr = EncodeCpuidResponse(r.cpuid_register,
                                       static_cast<u32>(CpuidRegister(view, r.cpuid_register)));
      return ExitAction::kResumeNext;
    }
    case MsrRequestKind::kApResetHold:
      ConsoleFlush(vcpu);
      return vcpu.Stop(StopReason::kHalted, r.info, 0,
                       "AP reset hold: no other vCPU can send the INIT-SIPI that releases it");
    case MsrRequestKind::kPreferredGpa:
      t.ghcb_msr = EncodeGfnResponse(msr_info::kPreferredGpaResponse, kNoGfn);
      return ExitAction::kResumeNext;
    case MsrRequestKind::kRegisterGpa:
      if (r.gfn < vcpu.memory.size() / kPageSize) {
        t.registered_gfn = r.gfn;
        t.ghcb_msr = EncodeGfnResponse(msr_info::kRegisterGpaResponse, r.gfn);
      } else {
        ReportRefusal(vcpu, "GHCB GPA registration", "GFN outside guest RAM");
        t.ghcb_msr = EncodeGfnResponse(msr_info::kRegisterGpaResponse, kNoGfn);
      }
      return ExitAction::kResumeNext;
    case MsrRequestKind::kPageState: {
      const u32 error = ChangePageState(vcpu, r.gfn, r.psc_op);
      if (error != 0) ReportRefusal(vcpu, "page state change", "GFN or operation invalid");
      t.ghcb_msr = EncodePageStateResponse(error);
      return ExitAction::kResumeNext;
    }
    case MsrRequestKind::kHvFeatures:
      t.ghcb_msr = EncodeGfnResponse(msr_info::kHvFeaturesResponse,
                                     t.mode == TeeMode::kSevSnp ? kHvFeatureSnp : 0);
      return ExitAction::kResumeNext;
    case MsrRequestKind::kTermination:
      return Terminate(vcpu, r.reason_set, r.reason_code);
    case MsrRequestKind::kGhcbGpa:
    case MsrRequestKind::kUnknown:
      break;
  }
  return Violation(vcpu, r.info, "MSR-protocol request the protocol does not define");
}

// An exception a handler raised becomes the GHCB's "inject this" answer.
void AnswerHandlerResult(ProtocolRegisterView& view, GhcbPage& resp) {
  PendingException e;
  if (view.TakeException(&e)) {
    SetResult(resp, kResultException, EncodeException(e.vector, e.has_error_code, e.error_code));
  } else {
    SetResult(resp, kResultOk, 0);
  }
}

ExitAction ServeIoio(Vcpu& vcpu, const NaeRequest& r, GhcbPage& resp, bool* buffer_out) {
  ProtocolRegisterView view(vcpu);
  Exit e = ProtocolExit(ExitReason::kIo);
  e.io = {r.port, r.size, r.in, false, false};
  const u32 count = r.string ? r.count : 1;
  for (u32 i = 0; i < count; ++i) {
    u8* element = resp.shared_buffer + r.buffer_offset + static_cast<usize>(i) * r.size;
    if (r.string && !r.in) {
      u32 v = 0;
      memcpy(&v, element, r.size);
      view.Set(kRax, v);
    } else if (!r.in) {
      view.Set(kRax, r.rax);
    }
    const ExitAction a = DispatchExit(vcpu, e);
    if (a == ExitAction::kStop) return a;
    if (r.string && r.in) {
      const u32 v = static_cast<u32>(view.Get(kRax));
      memcpy(element, &v, r.size);
    }
  }
  if (r.in && !r.string) SetOutput(resp, Field::kRax, view.Get(kRax));
  *buffer_out = r.string && r.in;
  AnswerHandlerResult(view, resp);
  return ExitAction::kResumeNext;
}

ExitAction ServeMsr(Vcpu& vcpu, const NaeRequest& r, GhcbPage& resp) {
  ProtocolRegisterView view(vcpu);
  Exit e = ProtocolExit(r.msr_write ? ExitReason::kMsrWrite : ExitReason::kMsrRead);
  e.msr = static_cast<u32>(r.rcx);
  view.Set(kRcx, r.rcx);
  view.Set(kRax, r.rax);
  view.Set(kRdx, r.rdx);
  const ExitAction a = DispatchExit(vcpu, e);
  if (a == ExitAction::kStop) return a;
  if (!r.msr_write && !view.ExceptionPending()) {
    SetOutput(resp, Field::kRax, view.Get(kRax));
    SetOutput(resp, Field::kRdx, view.Get(kRdx));
  }
  AnswerHandlerResult(view, resp);
  return ExitAction::kResumeNext;
}

// RDTSC/RDTSCP: the time stamp counter through the MSR policy's TSC read (the one place that
// decides what a guest sees of the TSC); RDTSCP's TSC_AUX is the processor number, 0 for the
// partition's only vCPU.
ExitAction ServeRdtsc(Vcpu& vcpu, const NaeRequest& r, GhcbPage& resp) {
  ProtocolRegisterView view(vcpu);
  Exit e = ProtocolExit(ExitReason::kMsrRead);
  e.msr = kMsrTsc;
  const ExitAction a = DispatchExit(vcpu, e);
  if (a == ExitAction::kStop) return a;
  SetOutput(resp, Field::kRax, view.Get(kRax));
  SetOutput(resp, Field::kRdx, view.Get(kRdx));
  if (r.kind == NaeKind::kRdtscp) SetOutput(resp, Field::kRcx, 0);
  AnswerHandlerResult(view, resp);
  return ExitAction::kResumeNext;
}

ExitAction ServeMmio(Vcpu& vcpu, const NaeRequest& r, GhcbPage& resp, bool* buffer_out) {
  const bool write = r.kind == NaeKind::kMmioWrite;
  ++vcpu.stats.by_reason[static_cast<usize>(ExitReason::kNestedPageFault)];
  if (!InMmioWindow(r.mmio_gpa, r.mmio_length) || !proxy_client::Attached()) {
    ReportRefusal(vcpu, "MMIO", "no device at this address (outside the MMIO window or no agent)");
    SetError(resp, GhcbError::kInvalidInput);
    return ExitAction::kResumeNext;
  }
  u64 value = 0;
  if (write) memcpy(&value, resp.shared_buffer + r.buffer_offset, r.mmio_length);
  const Result<u64> result = proxy_client::ForwardMmio(r.mmio_gpa, r.mmio_length, write, value);
  if (!result.ok()) {
    ReportRefusal(vcpu, "MMIO", "no device claims this address");
    SetError(resp, GhcbError::kInvalidInput);
    return ExitAction::kResumeNext;
  }
  proxy_client::NoteExitStats(vcpu.stats.Total(), vcpu.stats.by_reason,
                              static_cast<u32>(ExitReason::kCount));
  if (!write) {
    value = result.value();
    memcpy(resp.shared_buffer + r.buffer_offset, &value, r.mmio_length);
    *buffer_out = true;
  }
  SetResult(resp, kResultOk, 0);
  return ExitAction::kResumeNext;
}

ExitAction ServeVmmcall(Vcpu& vcpu, const NaeRequest& r, GhcbPage& resp) {
  ProtocolRegisterView view(vcpu);
  view.Set(kRax, r.rax);
  view.Set(kRdi, r.rdi);
  view.Set(kRsi, r.rsi);
  view.Set(kRdx, r.rdx);
  view.SetCpl(r.cpl);
  const ExitAction a = DispatchExit(vcpu, ProtocolExit(ExitReason::kHypercall));
  if (a == ExitAction::kStop) return a;
  if (!view.ExceptionPending()) SetOutput(resp, Field::kRax, view.Get(kRax));
  AnswerHandlerResult(view, resp);
  return ExitAction::kResumeNext;
}

// SNP guest request: the guest's request page, copied once, relayed to the partition's secure
// processor through the host agent (the path the paravisor's own attestation client uses);
// the answer goes into the guest's response page. SW_EXITINFO2 carries the VMM error (upper
// half) and firmware status (lower half): 0 on success.
ExitAction ServeGuestRequest(Vcpu& vcpu, const NaeRequest& r, GhcbPage& resp) {
  if (vcpu.tee.mode != TeeMode::kSevSnp || !proxy_client::BulkAvailable()) {
    ReportRefusal(vcpu, "SNP guest request",
                  vcpu.tee.mode != TeeMode::kSevSnp ? "not an SEV-SNP partition"
                                                    : "no secure-processor transport (no agent)");
    SetError(resp, GhcbError::kInvalidEvent);
    return ExitAction::kResumeNext;
  }
  static u8 request[kPageSize];
  static u8 response[kPageSize];
  if (!vcpu.memory.ReadGpa(r.request_gpa, request, sizeof(request)).ok()) {
    SetError(resp, GhcbError::kInvalidInput);
    return ExitAction::kResumeNext;
  }
  // The message is the header and msg_sz payload bytes (as the secure processor reads it), not
  // the whole page; a size past the page is refused here, from the paravisor's own copy.
  u16 msg_sz = 0;
  memcpy(&msg_sz, request + offsetof(attest_proto::GuestMsgHeader, msg_sz), sizeof(msg_sz));
  if (msg_sz > attest_proto::kMaxPayload) {
    ReportRefusal(vcpu, "SNP guest request", "msg_sz larger than the request page");
    SetError(resp, GhcbError::kInvalidInput);
    return ExitAction::kResumeNext;
  }
  const u32 request_len = static_cast<u32>(sizeof(attest_proto::GuestMsgHeader) + msg_sz);
  const Result<u32> got = proxy_client::ForwardAttestation(kAttestationKindGuestRequest, request,
                                                           request_len, response, sizeof(response));
  if (!got.ok()) {
    ReportRefusal(vcpu, "SNP guest request", got.status().message());
    SetError(resp, GhcbError::kInvalidInput);
    return ExitAction::kResumeNext;
  }
  memset(response + got.value(), 0, sizeof(response) - got.value());
  if (!vcpu.memory.WriteGpa(r.response_gpa, response, sizeof(response)).ok()) {
    SetError(resp, GhcbError::kInvalidInput);
    return ExitAction::kResumeNext;
  }
  SetResult(resp, kResultOk, 0);
  return ExitAction::kResumeNext;
}

ExitAction ServeNae(Vcpu& vcpu, const NaeRequest& r, GhcbPage& resp, bool* buffer_out) {
  switch (r.kind) {
    case NaeKind::kCpuid: {
      ProtocolRegisterView view(vcpu);
      view.Set(kRax, r.rax);
      view.Set(kRcx, r.rcx);
      const ExitAction a = DispatchExit(vcpu, ProtocolExit(ExitReason::kCpuid));
      if (a == ExitAction::kStop) return a;
      SetOutput(resp, Field::kRax, view.Get(kRax));
      SetOutput(resp, Field::kRbx, view.Get(kRbx));
      SetOutput(resp, Field::kRcx, view.Get(kRcx));
      SetOutput(resp, Field::kRdx, view.Get(kRdx));
      AnswerHandlerResult(view, resp);
      return ExitAction::kResumeNext;
    }
    case NaeKind::kIoio:
      return ServeIoio(vcpu, r, resp, buffer_out);
    case NaeKind::kMsr:
      return ServeMsr(vcpu, r, resp);
    case NaeKind::kMmioRead:
    case NaeKind::kMmioWrite:
      return ServeMmio(vcpu, r, resp, buffer_out);
    case NaeKind::kVmmcall:
      return ServeVmmcall(vcpu, r, resp);
    case NaeKind::kRdtsc:
    case NaeKind::kRdtscp:
      return ServeRdtsc(vcpu, r, resp);
    case NaeKind::kWbinvd:
    case NaeKind::kInvd: {
      // Both complete as no-ops through the cache-invalidation handler (INVD would discard
      // lines of memory that is not the guest's; WBINVD of the guest's own lines is not needed
      // for coherence on a platform without non-coherent DMA).
      ProtocolRegisterView view(vcpu);
      const ExitAction a = DispatchExit(vcpu, ProtocolExit(ExitReason::kCacheInvalidate));
      if (a == ExitAction::kStop) return a;
      AnswerHandlerResult(view, resp);
      return ExitAction::kResumeNext;
    }
    case NaeKind::kApResetHold:
      return ServeMsrProtocol(vcpu, DecodeMsrRequest(msr_info::kApResetHoldRequest));
    case NaeKind::kGuestRequest:
      return ServeGuestRequest(vcpu, r, resp);
    case NaeKind::kHvFeatures:
      SetResult(resp, kResultOk, vcpu.tee.mode == TeeMode::kSevSnp ? kHvFeatureSnp : 0);
      return ExitAction::kResumeNext;
    case NaeKind::kTermination:
      return Terminate(vcpu, r.reason_set, r.reason_code);
  }
  SetError(resp, GhcbError::kInvalidEvent);
  return ExitAction::kResumeNext;
}

ExitAction ServeGhcbPage(Vcpu& vcpu, u64 gfn) {
  EncryptedState& t = vcpu.tee;
  const u64 gpa = gfn << 12;
  if (gfn >= vcpu.memory.size() / kPageSize) {
    return Violation(vcpu, gpa, "GHCB GPA outside guest RAM");
  }
  if (t.mode == TeeMode::kSevSnp && gfn != t.registered_gfn) {
    return Violation(vcpu, gpa, "GHCB GPA not registered (SEV-SNP requires registration)");
  }
  if (!t.shared.IsShared(gfn)) {
    return Violation(vcpu, gpa, "GHCB page is not shared (private memory cannot be read)");
  }
  // Copied once: the save-area fields the protocol defines and the usage/version words, then
  // (after SW_SCRATCH was checked) only the bytes of the shared buffer a request sends. Only the
  // copy is checked and used; the answer is built in it, and only answer fields go back.
  static GhcbPage page;
  for (const Range& in : kGhcbInputs) {
    if (!vcpu.memory.ReadGpa(gpa + in.offset, reinterpret_cast<u8*>(&page) + in.offset, in.length)
             .ok()) {
      return Violation(vcpu, gpa, "GHCB page unreadable");
    }
  }
  const NaeDecode d = DecodeNae(page, gpa, t.shared);
  const usize buffer_at = kSharedBufferOffset + d.request.buffer_offset;
  if (d.ok && d.request.buffer_length != 0 && SendsBuffer(d.request)) {
    if (!vcpu.memory
             .ReadGpa(gpa + buffer_at, reinterpret_cast<u8*>(&page) + buffer_at,
                      d.request.buffer_length)
             .ok()) {
      return Violation(vcpu, gpa, "GHCB shared buffer unreadable");
    }
  }
  BeginResponse(page);
  bool buffer_out = false;
  if (!d.ok) {
    ReportRefusal(vcpu, "NAE event", d.why);
    SetError(page, d.error);
  } else {
    const ExitAction a = ServeNae(vcpu, d.request, page, &buffer_out);
    if (a == ExitAction::kStop) return a;
  }
  for (const Range& out : kGhcbOutputs) {
    if (!vcpu.memory
             .WriteGpa(gpa + out.offset, reinterpret_cast<const u8*>(&page) + out.offset,
                       out.length)
             .ok()) {
      return Violation(vcpu, gpa, "GHCB page not writable");
    }
  }
  if (buffer_out) {
    if (!vcpu.memory
             .WriteGpa(gpa + buffer_at, reinterpret_cast<const u8*>(&page) + buffer_at,
                       d.request.buffer_length)
             .ok()) {
      return Violation(vcpu, gpa, "GHCB shared buffer not writable");
    }
  }
  return ExitAction::kResumeNext;
}

}  // namespace

ExitAction ServeVmgexit(Vcpu& vcpu) {
  const MsrRequest r = DecodeMsrRequest(vcpu.tee.ghcb_msr);
  if (r.kind == MsrRequestKind::kGhcbGpa) return ServeGhcbPage(vcpu, r.gfn);
  return ServeMsrProtocol(vcpu, r);
}

}  // namespace pv::ghcb
