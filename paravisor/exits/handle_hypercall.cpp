// VMMCALL/VMCALL: the guest ABI in guest/abi.h, all but the calls that only set a result (those
// are inline in exits/handlers.h: HandleHypercall).
#include "attest/guest_evidence.h"
#include "exits/handlers.h"
#include "guest/abi.h"
#include "kbs/kbs_client.h"
#include "lib/log.h"
#include "testing/hooks.h"

namespace pv {
namespace {

// The hypercalls that copy guest memory are out of line (noinline): their buffers would
// otherwise give every hypercall, the null one included, their stack frame.
[[gnu::noinline]] i64 Print(Vcpu& vcpu, u64 gva, u64 len) {
  if (len > abi::kPrintMax) return abi::kHcErrInval;
  u8 chunk[128];
  for (u64 done = 0; done < len;) {
    const u64 n = (len - done) < sizeof(chunk) ? (len - done) : sizeof(chunk);
    // Copy once out of guest memory, then use only the copy.
    if (!vcpu.memory.ReadGva(vcpu.paging(), gva + done, chunk, n).ok()) return abi::kHcErrFault;
    for (u64 i = 0; i < n; ++i) ConsolePutByte(vcpu, chunk[i]);
    done += n;
  }
  ConsoleFlush(vcpu);
  return 0;
}

// GET_EVIDENCE: REPORT_DATA copied in once, evidence produced into the paravisor's buffer,
// then copied out in one all-or-nothing write.
[[gnu::noinline]] i64 GetEvidence(Vcpu& vcpu, u64 out_gva, u64 out_len, u64 report_data_gva) {
  u8 report_data[abi::kReportDataSize];
  if (!vcpu.memory.ReadGva(vcpu.paging(), report_data_gva, report_data, sizeof(report_data)).ok()) {
    return abi::kHcErrFault;
  }
  static u8 evidence[abi::kEvidenceMax];
  const Result<usize> got = attest::GuestEvidence(report_data, evidence, sizeof(evidence));
  if (!got.ok()) {
    return got.status().code() == Err::kUnsupported ? abi::kHcErrNotSupported : abi::kHcErrIo;
  }
  if (got.value() > out_len) return abi::kHcErrTooBig;
  if (!vcpu.memory.WriteGva(vcpu.paging(), out_gva, evidence, got.value()).ok()) {
    return abi::kHcErrFault;
  }
  return static_cast<i64>(got.value());
}

// GET_SECRET: the released secret of resource `index`, copied out in one all-or-nothing write;
// only after the write succeeded is the paravisor's copy wiped. The reason for a refusal goes
// to RDX.
[[gnu::noinline]] i64 GetSecret(Vcpu& vcpu, u64 out_gva, u64 out_len, u64 index) {
  const kbs_client::SecretView v = kbs_client::PeekSecret(
      index > kbs_client::kMaxResources ? kbs_client::kMaxResources : static_cast<u32>(index));
  vcpu.set_gpr(kRdx, v.reason);
  switch (v.status) {
    case kbs_client::SecretStatus::kReady:
      break;
    case kbs_client::SecretStatus::kNotYetAttested:
      return abi::kHcErrNotAttested;
    case kbs_client::SecretStatus::kDenied:
      return abi::kHcErrDenied;
    case kbs_client::SecretStatus::kUnavailable:
      return abi::kHcErrUnavailable;
    case kbs_client::SecretStatus::kTaken:
    case kbs_client::SecretStatus::kNoSuchResource:
      return abi::kHcErrSecretTaken;
  }
  vcpu.set_gpr(kRdx, 0);
  if (v.len > out_len) return abi::kHcErrTooBig;
  if (!vcpu.memory.WriteGva(vcpu.paging(), out_gva, v.data, v.len).ok()) return abi::kHcErrFault;
  kbs_client::TakeSecret(static_cast<u32>(index));
  return static_cast<i64>(v.len);
}

}  // namespace

ExitAction HandleOtherHypercall(Vcpu& vcpu, const Exit& exit, u64 nr) {
  if (nr >= abi::kHcTestBase) return testing::HandleTestHypercall(vcpu, exit);
  i64 result;
  switch (nr) {
    case abi::kHcPrint:
      result = Print(vcpu, vcpu.gpr(kRdi), vcpu.gpr(kRsi));
      break;
    case abi::kHcExit:
      ConsoleFlush(vcpu);
      return vcpu.Stop(StopReason::kExited, vcpu.gpr(kRdi), 0, "guest called exit");
    case abi::kHcGetEvidence:
      result = GetEvidence(vcpu, vcpu.gpr(kRdi), vcpu.gpr(kRsi), vcpu.gpr(kRdx));
      break;
    case abi::kHcGetSecret:
      result = GetSecret(vcpu, vcpu.gpr(kRdi), vcpu.gpr(kRsi), vcpu.gpr(kRdx));
      break;
    default:
      result = abi::kHcErrNoSys;
      break;
  }
  vcpu.set_gpr(kRax, static_cast<u64>(result));
  return ExitAction::kResumeNext;
}

ExitAction RefuseHypercall(Vcpu& vcpu) {
  vcpu.InjectException(kVectorUd, false, 0);
  return ExitAction::kResumeSame;
}

}  // namespace pv
