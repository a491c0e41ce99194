#include "attest/attestation_client.h"

#include "../../protocol/attest/secrets_page.h"
#include "../../protocol/attest/snp_guest_msg.h"
#include "arch/cpu.h"
#include "arch/tsc.h"
#include "attest/evidence_format.h"
#include "attest/guest_evidence.h"
#include "attest/guest_msg.h"
#include "attest/hw_transport.h"
#include "attest/secrets.h"
#include "crypto/aes_gcm.h"
#include "crypto/drbg.h"
#include "crypto/entropy.h"
#include "ghci/rtmr.h"
#include "lib/log.h"
#include "lib/string.h"
#include "proxy/exit_proxy.h"

namespace pv::attest {
namespace {

using attest_proto::kPageSize;

enum class Personality : u8 { kSevSnp, kTdx };
enum class Transport : u8 { kNone, kExitProxy, kSevSnpGhcb, kTdxTdcall };

const char* TransportName(Transport t) {
  switch (t) {
    case Transport::kExitProxy:
      return "exit proxy (host agent -> simulated secure processor)";
    case Transport::kSevSnpGhcb:
      return "SEV-SNP GHCB guest request";
    case Transport::kTdxTdcall:
      return "TDX TDCALL";
    case Transport::kNone:
      break;
  }
  return "none";
}

struct ClientState {
  Personality personality = Personality::kSevSnp;
  Transport transport = Transport::kNone;
  GuestMessageChannel channel;
  u64 exchanges = 0;
};
ClientState g_state;

// VMPCK2 and VMPCK3, taken from the secrets page for the guest's own secrets page (guest ABI
// kGuestSecretsPageGpa): the guest runs as a VMPL2 guest would, the paravisor keeps VMPCK0.
// Handed over once, to the first tee=sev-snp guest, and zeroed here when handed over: a VMPCK
// carries one sequence of message numbers, which a second guest could not continue.
u8 g_guest_vmpck[2][attest_proto::kVmpckSize];
bool g_guest_vmpck_held = false;

// Page-aligned so the hardware transports could share them with the hypervisor as they are.
alignas(4096) u8 g_request_page[kPageSize];
alignas(4096) u8 g_response_page[kPageSize];
alignas(4096) u8 g_quote_buffer[32768];
u8 g_payload[kPageSize];

// One guest-message exchange over the chosen transport: seal, send, copy back, open. Every
// failure after sealing wipes the key: the request (and its IV) may have left.
Result<usize> Exchange(u8 msg_type, const u8* payload, usize payload_len) {
  PV_TRY_ASSIGN(usize request_len,
                g_state.channel.SealRequest(msg_type, payload, payload_len, g_request_page,
                                            sizeof(g_request_page)));
  usize response_len = 0;
  if (g_state.transport == Transport::kExitProxy) {
    const Result<u32> r = proxy_client::ForwardAttestation(
        1 /* AttestationKind::GuestRequest */, g_request_page, static_cast<u32>(request_len),
        g_response_page, sizeof(g_response_page));
    if (!r.ok()) {
      g_state.channel.Fail();
      return r.status();
    }
    response_len = r.value();
  } else if (g_state.transport == Transport::kSevSnpGhcb) {
    const Result<usize> r = GhcbGuestRequest(reinterpret_cast<u64>(g_request_page),
                                             reinterpret_cast<u64>(g_response_page));
    if (!r.ok()) {
      g_state.channel.Fail();
      return r.status();
    }
    response_len = r.value();
  } else {
    g_state.channel.Fail();
    return Status(Err::kUnsupported, "attest: no guest-message transport");
  }
  ++g_state.exchanges;
  return g_state.channel.OpenResponse(g_response_page, response_len, g_payload, sizeof(g_payload));
}

Result<usize> SnpReport(const u8 report_data[64], u8* out, usize cap) {
  if (cap < attest_proto::kAttestationReportSize) {
    return Status(Err::kOutOfRange, "attest: buffer smaller than an SNP report (1184 bytes)");
  }
  u8 request[sizeof(attest_proto::ReportRequest)];
  BuildReportRequest(report_data, /*vmpl=*/0, request);
  PV_TRY_ASSIGN(usize len, Exchange(attest_proto::kMsgReportReq, request, sizeof(request)));
  const Status parsed = ParseReportResponse(g_payload, len, report_data, 0, out);
  crypto::SecureZero(g_payload, sizeof(g_payload));
  if (!parsed.ok()) {
    g_state.channel.Fail();  // an authentic but wrong answer: stop talking to that processor
    return parsed;
  }
  return static_cast<usize>(attest_proto::kAttestationReportSize);
}

}  // namespace

Status TdReport(const u8 report_data[64], u8 tdreport[attest_proto::kTdReportSize]) {
  if (!TdxModuleAvailable()) return Status(Err::kUnsupported, "attest: no TDX module (tee=tdx)");
  if (g_state.transport == Transport::kTdxTdcall) {
    alignas(64) static u8 data[64];
    alignas(1024) static u8 report[attest_proto::kTdReportSize];
    memcpy(data, report_data, sizeof(data));
    PV_TRY(TdcallMrReport(reinterpret_cast<u64>(data), reinterpret_cast<u64>(report)));
    memcpy(tdreport, report, sizeof(report));
    return Status::Ok();
  }
  // Simulated platform: the TDREPORT comes from the simulated TDX module through the same
  // guest-message envelope (kMsgSimTdReportReq), so the host cannot forge or alter it.
  PV_TRY_ASSIGN(usize len, Exchange(attest_proto::kMsgSimTdReportReq, report_data, 64));
  const Status parsed = ParseTdReportResponse(g_payload, len, report_data, tdreport);
  crypto::SecureZero(g_payload, sizeof(g_payload));
  if (!parsed.ok()) g_state.channel.Fail();
  return parsed;
}

Status ExtendRtmr(u32 index, const u8 data[attest_proto::kRtmrSize],
                  u8 value[attest_proto::kRtmrSize]) {
  if (!TdxModuleAvailable()) return Status(Err::kUnsupported, "attest: no TDX module (tee=tdx)");
  if (index >= attest_proto::kRtmrCount) return Status(Err::kOutOfRange, "attest: RTMR index");
  if (g_state.transport == Transport::kTdxTdcall) {
    alignas(64) static u8 aligned[attest_proto::kRtmrSize];
    memcpy(aligned, data, sizeof(aligned));
    PV_TRY(TdcallRtmrExtend(reinterpret_cast<u64>(aligned), index));
    return ghci::ExtendRtmr(value, data);
  }
  // Simulated platform: the sim-SP's TDX personality keeps the TD's RTMRs (kMsgSimRtmrExtendReq).
  u8 request[attest_proto::kRtmrExtendRequestSize];
  BuildRtmrExtendRequest(index, data, request);
  PV_TRY_ASSIGN(usize len, Exchange(attest_proto::kMsgSimRtmrExtendReq, request, sizeof(request)));
  const Status parsed = ParseRtmrExtendResponse(g_payload, len, value);
  crypto::SecureZero(g_payload, sizeof(g_payload));
  if (!parsed.ok()) g_state.channel.Fail();
  return parsed;
}

bool TdxModuleAvailable() {
  return g_state.personality == Personality::kTdx && g_state.transport != Transport::kNone &&
         (g_state.transport == Transport::kTdxTdcall || g_state.channel.usable());
}

namespace {

Result<usize> TdxQuote(const u8 report_data[64], u8* out, usize cap) {
  u8 tdreport[attest_proto::kTdReportSize];
  PV_TRY(TdReport(report_data, tdreport));
  PV_TRY_ASSIGN(usize in_len, BuildQuoteBuffer(tdreport, g_quote_buffer, sizeof(g_quote_buffer)));
  usize got = 0;
  if (g_state.transport == Transport::kTdxTdcall) {
    PV_TRY(TdvmcallGetQuote(reinterpret_cast<u64>(g_quote_buffer), sizeof(g_quote_buffer)));
    // The host completes asynchronously: poll the status word, bounded (10 s).
    const u64 deadline = arch::Rdtsc() + arch::TscHz() * 10;
    u64 status = kQuoteStatusInFlight;
    while (arch::Rdtsc() < deadline) {
      memcpy(&status, g_quote_buffer + 8, sizeof(status));
      if (status != kQuoteStatusInFlight) break;
      asm volatile("pause");
    }
    got = sizeof(g_quote_buffer);
  } else {
    static u8 reply[sizeof(g_quote_buffer)];
    const Result<u32> r =
        proxy_client::ForwardAttestation(2 /* AttestationKind::GetQuote */, g_quote_buffer,
                                         static_cast<u32>(in_len), reply, sizeof(reply));
    if (!r.ok()) return r.status();
    memcpy(g_quote_buffer, reply, r.value());
    got = r.value();
  }
  PV_TRY_ASSIGN(QuoteView q, ParseQuoteBuffer(g_quote_buffer, got));
  if (q.length > cap) return Status(Err::kOutOfRange, "attest: buffer smaller than the quote");
  memcpy(out, g_quote_buffer + q.offset, q.length);
  return q.length;
}

extern "C" u8 _image_start[], _image_end[];

// Where the secrets page is: kSecretsPageGpa, or `secrets_gpa=` on the command line. The
// override exists for launches through SeaBIOS (QEMU -kernel), which zeroes 0x8F000 during POST
// (measured with QEMU 7.2): page-aligned, below 4 GiB (the boot identity map), not inside the
// paravisor image.
Result<u64> SecretsPageGpa(const Cmdline& cmdline) {
  StrView v;
  if (!cmdline.Get("secrets_gpa", &v)) return attest_proto::kSecretsPageGpa;
  u64 gpa = 0;
  if (!ParseU64(v, &gpa) || (gpa & (kPageSize - 1)) != 0 || gpa == 0 ||
      gpa > (4ull << 30) - kPageSize) {
    return Status(Err::kInvalidArgument,
                  "attest: secrets_gpa= must be a page-aligned address below 4 GiB");
  }
  if (gpa + kPageSize > reinterpret_cast<u64>(_image_start) &&
      gpa < reinterpret_cast<u64>(_image_end)) {
    return Status(Err::kInvalidArgument, "attest: secrets_gpa= lies inside the paravisor image");
  }
  return gpa;
}

Status LoadVmpck(u64 gpa) {
  // One copy of the page; the key is taken from the copy, then the copy and the whole page are
  // zeroed (every VMPCK in it), so the key lives only in the channel and the page can never
  // hand a key to whoever gets that memory next.
  static u8 copy[sizeof(attest_proto::SecretsPage)];
  // The boot identity map: a physical address is its own pointer.
  auto* page = reinterpret_cast<u8*>(gpa);  // NOLINT(performance-no-int-to-ptr)
  memcpy(copy, page, sizeof(copy));
  u8 key[attest_proto::kVmpckSize];
  const Status parsed = ParseSecretsPage(copy, sizeof(copy), 0, key);
  // VMPCK2 and VMPCK3 for the guest (both present or the guest gets no page).
  g_guest_vmpck_held = parsed.ok() &&
                       ParseSecretsPage(copy, sizeof(copy), 2, g_guest_vmpck[0]).ok() &&
                       ParseSecretsPage(copy, sizeof(copy), 3, g_guest_vmpck[1]).ok();
  if (!g_guest_vmpck_held) crypto::SecureZero(g_guest_vmpck, sizeof(g_guest_vmpck));
  crypto::SecureZero(copy, sizeof(copy));
  if (!parsed.ok()) return parsed;
  crypto::SecureZero(page, sizeof(attest_proto::SecretsPage));
  const Status init = g_state.channel.Init(key, 0, 0);
  crypto::SecureZero(key, sizeof(key));
  return init;
}

void SelfTest() {
  u8 report_data[64];
  for (u32 i = 0; i < sizeof(report_data); ++i) report_data[i] = static_cast<u8>(0xa0 + i);
  static u8 evidence[kMaxEvidence];
  const u64 t0 = arch::Rdtsc();
  const Result<usize> got = ProduceEvidence(report_data, evidence, sizeof(evidence));
  const u64 us = (arch::Rdtsc() - t0) / (arch::TscHz() / 1000000 + 1);
  if (!got.ok()) {
    Log("attest: self-test: no evidence: %s (VMPCK %s)", got.status().message(),
        g_state.channel.usable() ? "kept" : "wiped");
    return;
  }
  Log("attest: self-test: %s of %lu bytes with the requested REPORT_DATA in %lu us, "
      "sequence number now %lu",
      g_state.personality == Personality::kTdx ? "TDX quote" : "SNP report", got.value(), us,
      g_state.channel.last_seqno());
}

}  // namespace

Status InitAttestation(const Cmdline& cmdline) {
  g_state = ClientState{};
  StrView tee;
  if (cmdline.Get("tee", &tee)) {
    if (tee.Equals("tdx")) {
      g_state.personality = Personality::kTdx;
    } else if (!tee.Equals("sev-snp")) {
      return Status(Err::kInvalidArgument, "attest: tee= must be sev-snp or tdx");
    }
  }
  if (const Status drbg = crypto::InitDrbg(); drbg.ok()) {
    Log("attest: DRBG (CTR_DRBG, AES-256) seeded from %s",
        crypto::EntropySourceName(crypto::DetectEntropySource()));
  } else {
    Log("attest: %s", drbg.message());
  }
  if (cmdline.Has("drbg-selftest")) {
    const Status t = crypto::DrbgSelfTest();
    Log("drbg: self-test %s: %s", t.ok() ? "passed" : "FAILED", t.message());
    if (!t.ok()) return t;
  }
  if (DetectTdxGuest()) {
    g_state.transport = Transport::kTdxTdcall;
  } else if (DetectSevSnpGuest()) {
    g_state.transport = Transport::kSevSnpGhcb;
  } else if (proxy_client::BulkAvailable()) {
    g_state.transport = Transport::kExitProxy;
  }
  if (g_state.transport == Transport::kNone) {
    Log("attest: unavailable: no SEV-SNP/TDX hardware and no host agent with bulk areas");
    return Status::Ok();
  }
  const Result<u64> secrets_gpa = SecretsPageGpa(cmdline);
  if (!secrets_gpa.ok()) return secrets_gpa.status();
  if (g_state.transport != Transport::kTdxTdcall) {
    if (const Status key = LoadVmpck(secrets_gpa.value()); !key.ok()) {
      Log("attest: unavailable: %s", key.message());
      g_state.transport = Transport::kNone;
      return Status::Ok();
    }
  }
  Log("attest: %s personality, transport %s, VMPCK0 loaded from the secrets page at 0x%lx "
      "(TSC %lu MHz)",
      g_state.personality == Personality::kTdx ? "tdx" : "sev-snp",
      TransportName(g_state.transport), secrets_gpa.value(), arch::TscHz() / 1000000);
  if (cmdline.Has("attest-selftest")) {
    const u64 rounds = cmdline.GetU64("attest-rounds", 1);
    for (u64 i = 0; i < rounds && i < 64; ++i) SelfTest();
  }
  return Status::Ok();
}

bool AttestationAvailable() {
  return g_state.transport != Transport::kNone;
}

bool TakeGuestSecretsPage(u8 page[kPageSize]) {
  if (g_state.transport == Transport::kNone || g_state.transport == Transport::kTdxTdcall ||
      g_state.personality != Personality::kSevSnp || !g_guest_vmpck_held) {
    return false;
  }
  memset(page, 0, kPageSize);
  using attest_proto::SecretsPage;
  const u32 version = attest_proto::kSecretsPageVersion;
  memcpy(page + offsetof(SecretsPage, version), &version, sizeof(version));
  memcpy(page + offsetof(SecretsPage, vmpck) + 2 * attest_proto::kVmpckSize, g_guest_vmpck,
         sizeof(g_guest_vmpck));
  crypto::SecureZero(g_guest_vmpck, sizeof(g_guest_vmpck));
  g_guest_vmpck_held = false;
  return true;
}

Result<usize> ProduceEvidence(const u8 report_data[64], u8* out, usize cap) {
  if (g_state.transport == Transport::kNone) {
    return Status(Err::kUnsupported, "attest: no secrets page or no transport");
  }
  if (g_state.transport != Transport::kTdxTdcall && !g_state.channel.usable()) {
    return Status(Err::kUnsupported, "attest: VMPCK0 was wiped after a failed exchange");
  }
  const bool had_key = g_state.channel.usable();
  const Result<usize> got = g_state.personality == Personality::kTdx
                                ? TdxQuote(report_data, out, cap)
                                : SnpReport(report_data, out, cap);
  if (!got.ok() && had_key && !g_state.channel.usable()) {
    Log("attest: %s; VMPCK0 wiped, every later request is refused", got.status().message());
  }
  return got;
}

Result<usize> GuestEvidence(const u8 report_data[64], u8* out, usize cap) {
  return ProduceEvidence(report_data, out, cap);
}

}  // namespace pv::attest
