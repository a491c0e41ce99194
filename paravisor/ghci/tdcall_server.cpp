#include "ghci/tdcall_server.h"

#include "../../protocol/attest/snp_guest_msg.h"
#include "attest/guest_evidence.h"
#include "exits/encrypted_exit.h"
#include "exits/handlers.h"
#include "ghci/rtmr.h"
#include "ghci/tdcall.h"
#include "lib/log.h"
#include "lib/string.h"
#include "proxy/exit_proxy.h"
#include "vcpu/protocol_registers.h"

namespace pv::ghci {
namespace {

constexpr u8 kAttestationKindGetQuote = 2;  // AttestationKind::GetQuote (exit proxy)
constexpr u64 kMaxQuoteBuffer = 8 * kPageSize;

// A TDVMCALL's result: the VMCALL status (R10) and up to five outputs (R11..R15).
struct VmcallResult {
  u64 status = vmcall_status::kSuccess;
  u64 out[5] = {};
  u8 outputs = 0;  // how many of out[] carry values (R11 first)
};

VmcallResult Fail(u64 status) {
  VmcallResult r;
  r.status = status;
  return r;
}

void ReportRefusal(Vcpu& vcpu, const char* what, const char* why) {
  ReportProtocolRefusal(vcpu, "ghci", what, why);
}

u64 Strip(u64 gpa) {
  return gpa & ~kSharedBit;
}

// CPUID, IO, RDMSR, WRMSR through the ordinary handlers; the view holds only the arguments.
ExitAction ServeThroughHandler(Vcpu& vcpu, const TdcallRequest& r, VmcallResult* res) {
  ProtocolRegisterView view(vcpu);
  Exit e;
  switch (r.subfunction) {
    case vmcall::kCpuid:
      e = ProtocolExit(ExitReason::kCpuid);
      view.Set(kRax, r.args[0]);
      view.Set(kRcx, r.args[1]);
      break;
    case vmcall::kIo: {
      const u64 size = r.args[0];
      if ((size != 1 && size != 2 && size != 4) || r.args[1] > 1 || r.args[2] > 0xffff) {
        *res = Fail(vmcall_status::kInvalidOperand);
        return ExitAction::kResumeNext;
      }
      e = ProtocolExit(ExitReason::kIo);
      e.io = {static_cast<u16>(r.args[2]), static_cast<u8>(size), r.args[1] == 0, false, false};
      view.Set(kRax, r.args[3]);
      break;
    }
    case vmcall::kRdmsr:
      e = ProtocolExit(ExitReason::kMsrRead);
      e.msr = static_cast<u32>(r.args[0]);
      view.Set(kRcx, r.args[0]);
      break;
    default:  // kWrmsr
      e = ProtocolExit(ExitReason::kMsrWrite);
      e.msr = static_cast<u32>(r.args[0]);
      view.Set(kRcx, r.args[0]);
      view.Set(kRax, r.args[1] & 0xffffffffull);
      view.Set(kRdx, r.args[1] >> 32);
      break;
  }
  const ExitAction a = DispatchExit(vcpu, e);
  if (a == ExitAction::kStop) return a;
  PendingException ex;
  if (view.TakeException(&ex)) {
    // A #GP (refused MSR): the VMM's answer is an invalid operand.
    *res = Fail(vmcall_status::kInvalidOperand);
    return ExitAction::kResumeNext;
  }
  *res = VmcallResult{};
  switch (r.subfunction) {
    case vmcall::kCpuid:
      // GHCI CPUID: EAX, EBX, ECX, EDX in R12..R15 (R11 unused).
      res->out[0] = 0;
      res->out[1] = view.Get(kRax) & 0xffffffffull;
      res->out[2] = view.Get(kRbx) & 0xffffffffull;
      res->out[3] = view.Get(kRcx) & 0xffffffffull;
      res->out[4] = view.Get(kRdx) & 0xffffffffull;
      res->outputs = 5;
      break;
    case vmcall::kIo:
      if (e.io.in) {
        const u64 mask = e.io.size == 4 ? 0xffffffffull : (1ull << (e.io.size * 8)) - 1;
        res->out[0] = view.Get(kRax) & mask;
        res->outputs = 1;
      }
      break;
    case vmcall::kRdmsr:
      res->out[0] = (view.Get(kRdx) << 32) | (view.Get(kRax) & 0xffffffffull);
      res->outputs = 1;
      break;
    default:
      break;
  }
  return ExitAction::kResumeNext;
}

VmcallResult ServeMmio(Vcpu& vcpu, const TdcallRequest& r) {
  const u64 size = r.args[0];
  const bool write = r.args[1] == 1;
  const u64 gpa = Strip(r.args[2]);
  ++vcpu.stats.by_reason[static_cast<usize>(ExitReason::kNestedPageFault)];
  if ((size != 1 && size != 2 && size != 4 && size != 8) || r.args[1] > 1) {
    return Fail(vmcall_status::kInvalidOperand);
  }
  if (!InMmioWindow(gpa, size) || !proxy_client::Attached()) {
    ReportRefusal(vcpu, "MMIO", "no device at this address (outside the MMIO window or no agent)");
    return Fail(vmcall_status::kInvalidOperand);
  }
  const Result<u64> v =
      proxy_client::ForwardMmio(gpa, static_cast<u8>(size), write, write ? r.args[3] : 0);
  if (!v.ok()) {
    ReportRefusal(vcpu, "MMIO", "no device claims this address");
    return Fail(vmcall_status::kInvalidOperand);
  }
  proxy_client::NoteExitStats(vcpu.stats.Total(), vcpu.stats.by_reason,
                              static_cast<u32>(ExitReason::kCount));
  VmcallResult res;
  if (!write) {
    res.out[0] = v.value();
    res.outputs = 1;
  }
  return res;
}

// MapGPA: [start, start + size) to shared (shared bit set in start) or private.
VmcallResult ServeMapGpa(Vcpu& vcpu, const TdcallRequest& r) {
  const bool to_shared = (r.args[0] & kSharedBit) != 0;
  const u64 start = Strip(r.args[0]);
  const u64 size = r.args[1];
  if (!IsAligned(start, kPageSize) || !IsAligned(size, kPageSize)) {
    return Fail(vmcall_status::kAlignError);
  }
  if (size == 0 || !vcpu.memory.Contains(start, size)) {
    ReportRefusal(vcpu, "MapGPA", "range outside guest RAM");
    return Fail(vmcall_status::kInvalidOperand);
  }
  for (u64 gpa = start; gpa < start + size; gpa += kPageSize) {
    if (!to_shared) {
      vcpu.tee.shared.MakePrivate(gpa / kPageSize);
    } else if (!vcpu.tee.shared.Share(gpa / kPageSize)) {
      ReportRefusal(vcpu, "MapGPA", "too many shared pages");
      return Fail(vmcall_status::kInvalidOperand);
    }
  }
  return VmcallResult{};
}

// GetQuote: the shared buffer's TDREPORT relayed to the partition's quoting service through the
// host agent (the paravisor's own attestation path). The buffer is copied once and its header
// checked (version 1, in_len within the buffer); only the header and in_len bytes are relayed.
// The answer (the agent's tdx_quote_buf, host data the guest checks as it would on hardware)
// goes back only if it fits the guest's buffer; otherwise, or when the service fails, the
// buffer's status says GET_QUOTE_ERROR, and without a quoting service QE_SERVICE_UNAVAILABLE,
// as GHCI specifies. The TDVMCALL itself succeeds in those cases.
VmcallResult ServeGetQuote(Vcpu& vcpu, const TdcallRequest& r) {
  const u64 gpa = Strip(r.args[0]);
  const u64 size = r.args[1];
  if (!IsAligned(gpa, kPageSize) || size < kQuoteHeaderSize || size > kMaxQuoteBuffer ||
      !vcpu.tee.shared.ContainsRange(gpa, size)) {
    ReportRefusal(vcpu, "GetQuote", "buffer not page-aligned, too small or large, or not shared");
    return Fail(vmcall_status::kInvalidOperand);
  }
  static u8 buffer[kMaxQuoteBuffer];
  if (!vcpu.memory.ReadGpa(gpa, buffer, size).ok()) return Fail(vmcall_status::kInvalidOperand);
  const Result<QuoteHeader> h = ParseQuoteHeader(buffer, size);
  if (!h.ok()) {
    ReportRefusal(vcpu, "GetQuote", h.status().message());
    return Fail(vmcall_status::kInvalidOperand);
  }
  u64 quote_status = kQuoteStatusServiceUnavailable;
  u32 out_len = 0;
  if (!proxy_client::BulkAvailable()) {
    ReportRefusal(vcpu, "GetQuote", "no quoting service (no host agent with bulk areas)");
  } else {
    static u8 response[kMaxQuoteBuffer];
    const Result<u32> got = proxy_client::ForwardAttestation(
        kAttestationKindGetQuote, buffer, static_cast<u32>(kQuoteHeaderSize + h.value().in_len),
        response, sizeof(response));
    if (!got.ok()) {
      ReportRefusal(vcpu, "GetQuote", got.status().message());
      quote_status = kQuoteStatusError;
    } else if (got.value() < kQuoteHeaderSize || got.value() > size) {
      ReportRefusal(vcpu, "GetQuote", "the quote does not fit the guest's buffer");
      quote_status = kQuoteStatusError;
    } else {
      memcpy(buffer, response, got.value());
      memcpy(&quote_status, buffer + 8, 8);
      memcpy(&out_len, buffer + 20, 4);
      ++vcpu.tee.quotes;
    }
  }
  memcpy(buffer + 8, &quote_status, 8);
  memcpy(buffer + 20, &out_len, 4);
  if (!vcpu.memory.WriteGpa(gpa, buffer, size).ok()) return Fail(vmcall_status::kInvalidOperand);
  return VmcallResult{};
}

// The paravisor's guest ABI as a vendor-specific TDG.VP.VMCALL (R10 = 1).
ExitAction ServeParavisorAbi(Vcpu& vcpu, const TdcallRequest& r, VmcallResult* res) {
  ProtocolRegisterView view(vcpu);
  view.Set(kRax, r.subfunction);
  view.Set(kRdi, r.args[0]);
  view.Set(kRsi, r.args[1]);
  view.Set(kRdx, r.args[2]);
  view.SetCpl(0);  // TDCALL itself faults above CPL 0
  const ExitAction a = DispatchExit(vcpu, ProtocolExit(ExitReason::kHypercall));
  if (a == ExitAction::kStop) return a;
  *res = VmcallResult{};
  res->out[0] = view.Get(kRax);
  res->outputs = 1;
  return ExitAction::kResumeNext;
}

ExitAction ServeVmcall(Vcpu& vcpu, const TdcallRequest& r, VmcallResult* res) {
  if (r.vendor == kVendorParavisorAbi) return ServeParavisorAbi(vcpu, r, res);
  if (!r.standard) {
    ReportRefusal(vcpu, "TDG.VP.VMCALL",
                  "vendor-specific call (R10) the paravisor does not define");
    *res = Fail(vmcall_status::kInvalidOperand);
    return ExitAction::kResumeNext;
  }
  switch (r.subfunction) {
    case vmcall::kCpuid:
    case vmcall::kIo:
    case vmcall::kRdmsr:
    case vmcall::kWrmsr:
      return ServeThroughHandler(vcpu, r, res);
    case vmcall::kMmio:
      *res = ServeMmio(vcpu, r);
      return ExitAction::kResumeNext;
    case vmcall::kGetTdVmCallInfo:
      // Leaf 0: every GHCI sub-function the specification lists as required is available;
      // R11..R14 = 0.
      *res = VmcallResult{};
      res->outputs = 4;
      if (r.args[0] != 0) *res = Fail(vmcall_status::kInvalidOperand);
      return ExitAction::kResumeNext;
    case vmcall::kMapGpa:
      *res = ServeMapGpa(vcpu, r);
      return ExitAction::kResumeNext;
    case vmcall::kGetQuote:
      *res = ServeGetQuote(vcpu, r);
      return ExitAction::kResumeNext;
    case vmcall::kReportFatalError:
      ConsoleFlush(vcpu);
      Log("ghci: guest %u: ReportFatalError, error code 0x%lx", vcpu.guest_index, r.args[0]);
      return vcpu.Stop(StopReason::kTerminated, r.args[0], 0,
                       "guest reported a fatal error (TDG.VP.VMCALL<ReportFatalError>)");
    case vmcall::kSetupEventNotifyInterrupt:
      if (r.args[0] < 32 || r.args[0] > 255) {
        *res = Fail(vmcall_status::kInvalidOperand);
      } else {
        vcpu.tee.notify_vector = static_cast<u8>(r.args[0]);
        *res = VmcallResult{};
      }
      return ExitAction::kResumeNext;
    default:
      ReportRefusal(vcpu, "TDG.VP.VMCALL", "sub-function the paravisor does not serve");
      *res = Fail(vmcall_status::kInvalidOperand);
      return ExitAction::kResumeNext;
  }
}

// A private GPA of the TD for the module's own leaves: no shared bit, in RAM, its page not
// shared (`len` bytes within one page, which the callers' alignments guarantee).
bool PrivateGpa(const Vcpu& vcpu, u64 gpa, u64 len) {
  return (gpa & kSharedBit) == 0 && vcpu.memory.Contains(gpa, len) &&
         !vcpu.tee.shared.IsShared(gpa / kPageSize);
}

// TDG.MR.RTMR.EXTEND: RCX = GPA of 48 bytes (64-byte aligned, private memory the module reads),
// RDX = RTMR index 0..3. The paravisor plays the L1 of TDX partitioning: the TD's module (the
// sim-SP's TDX personality on the simulated platform, the real module on hardware) is extended
// first, so every later TDREPORT and quote carries the value; the paravisor's copy (logged at
// the guest's stop) follows it. Without a TDX module (no tee=tdx partition) only the copy.
u64 ServeRtmrExtend(Vcpu& vcpu, const TdcallRequest& r) {
  if (!IsAligned(r.rcx, 64) || r.rdx >= kRtmrCount || !PrivateGpa(vcpu, r.rcx, kRtmrSize)) {
    ReportRefusal(vcpu, "TDG.MR.RTMR.EXTEND",
                  "data GPA not 64-byte aligned in private RAM, or index > 3");
    return status::kOperandInvalid;
  }
  u8 data[kRtmrSize];
  if (!vcpu.memory.PlatformReadGpa(r.rcx, data, sizeof(data)).ok()) return status::kOperandInvalid;
  u8* rtmr = vcpu.tee.rtmr[r.rdx];
  if (attest::TdxModuleAvailable()) {
    u8 value[kRtmrSize];
    memcpy(value, rtmr, sizeof(value));
    if (const Status s = attest::ExtendRtmr(static_cast<u32>(r.rdx), data, value); !s.ok()) {
      ReportRefusal(vcpu, "TDG.MR.RTMR.EXTEND", s.message());
      return status::kOperandInvalid;
    }
    memcpy(rtmr, value, sizeof(value));
  } else if (!ghci::ExtendRtmr(rtmr, data).ok()) {
    return status::kOperandInvalid;
  }
  ++vcpu.tee.rtmr_extends;
  return status::kSuccess;
}

// TDG.MR.REPORT: RCX = GPA of the TDREPORT_STRUCT out (1024-byte aligned), RDX = GPA of the
// REPORTDATA in (64 bytes, 64-byte aligned), R8 = report subtype (0); both private. The TD's
// TDREPORT comes from its module (attestation_client.h) with the guest's REPORTDATA and the
// RTMRs the guest extended; it is written only once complete.
u64 ServeMrReport(Vcpu& vcpu, const TdcallRequest& r) {
  if (!IsAligned(r.rcx, attest_proto::kTdReportSize) || !IsAligned(r.rdx, 64) || r.r8 != 0 ||
      !PrivateGpa(vcpu, r.rcx, attest_proto::kTdReportSize) || !PrivateGpa(vcpu, r.rdx, 64)) {
    ReportRefusal(vcpu, "TDG.MR.REPORT",
                  "TDREPORT not 1024-byte / REPORTDATA not 64-byte aligned in private RAM, or "
                  "subtype not 0");
    return status::kOperandInvalid;
  }
  if (!attest::TdxModuleAvailable()) {
    ReportRefusal(vcpu, "TDG.MR.REPORT",
                  "no TDX module (not a tee=tdx partition with attestation)");
    return status::kOperandInvalid;
  }
  u8 report_data[64];
  static u8 tdreport[attest_proto::kTdReportSize];
  if (!vcpu.memory.PlatformReadGpa(r.rdx, report_data, sizeof(report_data)).ok()) {
    return status::kOperandInvalid;
  }
  if (const Status s = attest::TdReport(report_data, tdreport); !s.ok()) {
    ReportRefusal(vcpu, "TDG.MR.REPORT", s.message());
    return status::kOperandInvalid;
  }
  if (!vcpu.memory.PlatformWriteGpa(r.rcx, tdreport, sizeof(tdreport)).ok()) {
    return status::kOperandInvalid;
  }
  ++vcpu.tee.td_reports;
  return status::kSuccess;
}

}  // namespace

ExitAction ServeTdcall(Vcpu& vcpu) {
  TdcallRegisters regs;
  for (usize i = 0; i < kGprCount; ++i) regs.gpr[i] = vcpu.run.gprs[i];
  const TdcallRequest r = DecodeTdcall(regs);
  switch (r.kind) {
    case TdcallKind::kVmcall: {
      VmcallResult res;
      const ExitAction a = ServeVmcall(vcpu, r, &res);
      if (a == ExitAction::kStop) return a;
      vcpu.set_gpr(kRax, status::kSuccess);
      // Results go only into registers the guest exposed; the rest keep their values.
      if ((r.exposed >> kR10) & 1) vcpu.set_gpr(kR10, res.status);
      for (u8 i = 0; i < res.outputs; ++i) {
        const Gpr g = static_cast<Gpr>(kR11 + i);
        if ((r.exposed >> g) & 1) vcpu.set_gpr(g, res.out[i]);
      }
      return ExitAction::kResumeNext;
    }
    case TdcallKind::kVpInfo:
      vcpu.set_gpr(kRax, status::kSuccess);
      vcpu.set_gpr(kRcx, kGpaWidth);           // GPAW; no other bits
      vcpu.set_gpr(kRdx, 0);                   // TD ATTRIBUTES: not debuggable
      vcpu.set_gpr(kR8, 1ull | (1ull << 32));  // NUM_VCPUS 1, MAX_VCPUS 1
      vcpu.set_gpr(kR9, 0);                    // VCPU_INDEX
      vcpu.set_gpr(kR10, 0);
      vcpu.set_gpr(kR11, 0);
      return ExitAction::kResumeNext;
    case TdcallKind::kVeinfoGet: {
      VeInfo& ve = vcpu.tee.ve;
      if (!ve.valid) {
        vcpu.set_gpr(kRax, status::kNoValidVeInfo);
        return ExitAction::kResumeNext;
      }
      vcpu.set_gpr(kRax, status::kSuccess);
      vcpu.set_gpr(kRcx, ve.exit_reason);
      vcpu.set_gpr(kRdx, ve.qualification);
      vcpu.set_gpr(kR8, ve.gla);
      vcpu.set_gpr(kR9, ve.gpa);
      vcpu.set_gpr(kR10, ve.instruction_length);
      ve.valid = false;
      return ExitAction::kResumeNext;
    }
    case TdcallKind::kRtmrExtend:
      vcpu.set_gpr(kRax, ServeRtmrExtend(vcpu, r));
      return ExitAction::kResumeNext;
    case TdcallKind::kMrReport:
      vcpu.set_gpr(kRax, ServeMrReport(vcpu, r));
      return ExitAction::kResumeNext;
    case TdcallKind::kBadExposure:
      ReportRefusal(vcpu, "TDG.VP.VMCALL", "RCX exposes RAX, RCX, RSP or a reserved bit");
      vcpu.set_gpr(kRax, status::kOperandInvalid);
      return ExitAction::kResumeNext;
    case TdcallKind::kUnknownLeaf:
      break;
  }
  ReportRefusal(vcpu, "TDCALL", "leaf the paravisor does not serve");
  vcpu.set_gpr(kRax, status::kOperandInvalid);
  return ExitAction::kResumeNext;
}

}  // namespace pv::ghci
