#include "kbs/kbs_client.h"

#include <mbedtls/sha512.h>

#include "../../protocol/attest/kbs_relay.h"
#include "arch/cpu.h"
#include "arch/tsc.h"
#include "attest/attestation_client.h"
#include "crypto/aes_gcm.h"
#include "crypto/drbg.h"
#include "crypto/fpu_guard.h"
#include "kbs/base64.h"
#include "kbs/json.h"
#include "kbs/jwe.h"
#include "kbs/tee_key.h"
#include "lib/log.h"
#include "lib/string.h"
#include "proxy/exit_proxy.h"

namespace pv::kbs_client {
namespace {

using namespace attest_proto;  // NOLINT(google-build-using-namespace): the relay's names

constexpr u8 kKindKbsRelay = 4;     // exit_proxy.fbs AttestationKind::KbsRelay
constexpr usize kFrameMax = 16384;  // ring_layout.h kBulkRequestSize
constexpr usize kResponseMax = sizeof(KbsRelayResponse) + kKbsMaxCookie + kKbsMaxResponseBody;
constexpr usize kMaxCert = 2048;  // one DER certificate

struct Resource {
  char path[kMaxResourcePath + 1] = {};
  usize path_len = 0;
  SecretStatus status = SecretStatus::kNotYetAttested;
  u32 reason = 0;
  u8 secret[kMaxSecret] = {};
  usize secret_len = 0;
};

struct ClientState {
  bool configured = false;
  bool done = false;  // the flow ran (successfully or not)
  const char* tee = "snp";
  u32 count = 0;
  Resource resources[kMaxResources];
  char cookie[kKbsMaxCookie + 1] = {};
  usize cookie_len = 0;
  u64 t0 = 0;
};
ClientState g_state;
TeeKey g_key;

// Relay buffers (static: too large for the paravisor's stack).
u8 g_frame[kFrameMax];
u8 g_response[kResponseMax];
char g_body[kFrameMax];
u8 g_evidence[attest::kMaxEvidence];
u8 g_certs[2 * kMaxCert + 8];

struct Reply {
  u32 http_status = 0;
  const char* body = nullptr;  // inside g_response (a private copy)
  usize body_len = 0;
};

u64 ElapsedUs() {
  return (arch::Rdtsc() - g_state.t0) / (arch::TscHz() / 1000000 + 1);
}

bool CookieByteOk(char c) {
  return c > 0x20 && c < 0x7f && c != ';' && c != ',';
}

// One relay exchange. The answer is in g_response (copied out of shared memory once by the
// proxy client); its header is checked against the copied length before anything is read.
Result<Reply> Exchange(u8 op, const char* path, const char* body, usize body_len) {
  const usize path_len = path != nullptr ? strlen(path) : 0;
  if (path_len > kKbsMaxPath ||
      sizeof(KbsRelayRequest) + path_len + g_state.cookie_len + body_len > sizeof(g_frame)) {
    return Status(Err::kOutOfRange, "kbs: request does not fit the relay");
  }
  KbsRelayRequest h{};
  h.magic = kKbsRelayMagic;
  h.op = op;
  h.path_len = static_cast<u32>(path_len);
  h.cookie_len = static_cast<u32>(g_state.cookie_len);
  h.body_len = static_cast<u32>(body_len);
  usize n = 0;
  memcpy(g_frame, &h, sizeof(h));
  n += sizeof(h);
  if (path_len != 0) {
    memcpy(g_frame + n, path, path_len);  // NOLINT(bugprone-not-null-terminated-result): a frame
  }
  n += path_len;
  memcpy(g_frame + n, g_state.cookie, g_state.cookie_len);
  n += g_state.cookie_len;
  if (body_len != 0) memcpy(g_frame + n, body, body_len);
  n += body_len;
  PV_TRY_ASSIGN(u32 got,
                proxy_client::ForwardAttestation(kKindKbsRelay, g_frame, static_cast<u32>(n),
                                                 g_response, sizeof(g_response)));
  KbsRelayResponse r{};
  if (got < sizeof(r)) return Status(Err::kInvalidArgument, "kbs: relay answer too short");
  memcpy(&r, g_response, sizeof(r));
  if (r.magic != kKbsRelayMagic || r.cookie_len > kKbsMaxCookie ||
      r.body_len > kKbsMaxResponseBody || sizeof(r) + r.cookie_len + r.body_len != got ||
      r.http_status > 599) {
    return Status(Err::kInvalidArgument, "kbs: relay answer framing is inconsistent");
  }
  if (r.cookie_len != 0) {
    const char* c = reinterpret_cast<const char*>(g_response + sizeof(r));
    for (u32 i = 0; i < r.cookie_len; ++i) {
      if (!CookieByteOk(c[i])) return Status(Err::kInvalidArgument, "kbs: bad session cookie");
    }
    memcpy(g_state.cookie, c, r.cookie_len);
    g_state.cookie_len = r.cookie_len;
  }
  Reply reply;
  reply.http_status = r.http_status;
  reply.body = reinterpret_cast<const char*>(g_response + sizeof(r) + r.cookie_len);
  reply.body_len = r.body_len;
  return reply;
}

// The error `type` of a trustee error body (…/errors/<Type>), for the log; "" if none.
void ErrorType(const Reply& reply, char* out, usize cap) {
  out[0] = '\0';
  if (!JsonCheck(reply.body, reply.body_len).ok()) return;
  char type[160];
  const Result<usize> n =
      JsonMemberString(JsonSpan{reply.body, reply.body_len}, "type", type, sizeof(type) - 1);
  if (!n.ok()) return;
  type[n.value()] = '\0';
  const char* last = type;
  for (const char* p = type; *p != '\0'; ++p) {
    if (*p == '/') last = p + 1;
  }
  usize i = 0;
  for (; last[i] != '\0' && i + 1 < cap; ++i) {
    const char c = last[i];
    out[i] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? c : '?';
  }
  out[i] = '\0';
}

void SetAll(SecretStatus status, u32 reason) {
  for (u32 i = 0; i < g_state.count; ++i) {
    if (g_state.resources[i].status == SecretStatus::kNotYetAttested) {
      g_state.resources[i].status = status;
      g_state.resources[i].reason = reason;
    }
  }
}

// A failed exchange: unreachable KBS (status 0) or a broken relay.
void FailExchange(const char* step, const Result<Reply>& r) {
  if (!r.ok()) {
    Log("kbs: %s: relay failed: %s", step, r.status().message());
    SetAll(SecretStatus::kUnavailable, kUnavailableRelay);
    return;
  }
  // The agent's reason text is host-controlled: not printed, only its size.
  Log("kbs: %s: the KBS is unreachable (the agent's answer: %lu bytes of reason)", step,
      r.value().body_len);
  SetAll(SecretStatus::kUnavailable, kUnavailableUnreachable);
}

// Fetches the host's certificate table (SNP only); false if none (the KBS may have a cache).
bool FetchCertificates(const u8** vcek, u32* vcek_len, const u8** ask, u32* ask_len) {
  const Result<Reply> r = Exchange(kKbsOpCertificates, nullptr, nullptr, 0);
  if (!r.ok() || r.value().http_status != 200) return false;
  const Reply& reply = r.value();
  if (reply.body_len > sizeof(g_certs)) return false;
  memcpy(g_certs, reply.body, reply.body_len);
  usize at = 0;
  auto take = [&](const u8** p, u32* len) {
    if (reply.body_len - at < 4) return false;
    memcpy(len, g_certs + at, 4);
    at += 4;
    if (*len == 0 || *len > kMaxCert || reply.body_len - at < *len) return false;
    *p = g_certs + at;
    at += *len;
    return true;
  };
  return take(vcek, vcek_len) && take(ask, ask_len) && at == reply.body_len;
}

void WriteBase64(JsonWriter& w, B64 v, const u8* data, usize len) {
  static char text[Base64Length(attest::kMaxEvidence, B64::kStandard)];
  const Result<usize> n = Base64Encode(v, data, len, text, sizeof(text));
  if (!n.ok()) {
    w.Fail();
    return;
  }
  w.Raw("\"");
  w.Raw(text, n.value());
  w.Raw("\"");
}

// {"nonce":"…","tee-pubkey":{"alg":"ECDH-ES+A256KW","crv":"P-256","kty":"EC","x":"…","y":"…"}}
// Keys in JCS order and no whitespace: this text is its own JCS canonical form.
Status WriteRuntimeData(JsonWriter& w, const char* nonce, usize nonce_len) {
  u8 x[kP256CoordinateSize];
  u8 y[kP256CoordinateSize];
  PV_TRY(g_key.PublicCoordinates(x, y));
  w.Raw("{");
  w.Key("nonce");
  w.String(nonce, nonce_len);
  w.Comma();
  w.Key("tee-pubkey");
  w.Raw("{");
  w.Key("alg");
  w.String("ECDH-ES+A256KW");
  w.Comma();
  w.Key("crv");
  w.String("P-256");
  w.Comma();
  w.Key("kty");
  w.String("EC");
  w.Comma();
  w.Key("x");
  WriteBase64(w, B64::kUrl, x, sizeof(x));
  w.Comma();
  w.Key("y");
  WriteBase64(w, B64::kUrl, y, sizeof(y));
  w.Raw("}}");
  return Status::Ok();
}

void FetchResources() {
  for (u32 i = 0; i < g_state.count; ++i) {
    Resource& res = g_state.resources[i];
    char path[16 + kMaxResourcePath + 1] = "/kbs/v0/resource/";
    memcpy(path + 17, res.path, res.path_len);
    path[17 + res.path_len] = '\0';
    const Result<Reply> r = Exchange(kKbsOpGet, path, nullptr, 0);
    if (!r.ok() || r.value().http_status == 0) {
      FailExchange("resource", r);
      return;
    }
    const Reply& reply = r.value();
    if (reply.http_status != 200) {
      char type[48];
      ErrorType(reply, type, sizeof(type));
      res.status = SecretStatus::kDenied;
      res.reason = reply.http_status == 403   ? kDenyPolicy
                   : reply.http_status == 404 ? kDenyNotFound
                                              : kDenyOther;
      Log("kbs: resource %u (%s): refused by the KBS: HTTP %u %s (+%lu us)", i, res.path,
          reply.http_status, type, ElapsedUs());
      continue;
    }
    const Result<usize> opened = OpenJwe(reply.body, reply.body_len, g_key, crypto::DrbgCallback,
                                         crypto::DrbgContext(), res.secret, sizeof(res.secret));
    if (!opened.ok()) {
      res.status = SecretStatus::kUnavailable;
      res.reason = kUnavailableBadAnswer;
      Log("kbs: resource %u (%s): the JWE does not open: %s; nothing released (+%lu us)", i,
          res.path, opened.status().message(), ElapsedUs());
      continue;
    }
    res.secret_len = opened.value();
    res.status = SecretStatus::kReady;
    Log("kbs: resource %u (%s): secret released by the KBS, %lu bytes, unwrapped in the "
        "paravisor (+%lu us)",
        i, res.path, res.secret_len, ElapsedUs());
  }
}

void RunFlow() {
  g_state.t0 = arch::Rdtsc();
  Log("kbs: attestation starts: tee %s, %u resource(s)", g_state.tee, g_state.count);
  const u8* vcek = nullptr;
  const u8* ask = nullptr;
  u32 vcek_len = 0;
  u32 ask_len = 0;
  const bool certs =
      StrEquals("snp", g_state.tee, 3) && FetchCertificates(&vcek, &vcek_len, &ask, &ask_len);

  // auth
  JsonWriter w(g_body, sizeof(g_body));
  w.Raw("{");
  w.Key("extra-params");
  w.Raw("{}");
  w.Comma();
  w.Key("tee");
  w.String(g_state.tee);
  w.Comma();
  w.Key("version");
  w.String("0.1.1");
  w.Raw("}");
  Result<Reply> r = Exchange(kKbsOpPost, "/kbs/v0/auth", g_body, w.size());
  if (!r.ok() || r.value().http_status == 0) return FailExchange("auth", r);
  if (r.value().http_status != 200) {
    char type[48];
    ErrorType(r.value(), type, sizeof(type));
    Log("kbs: auth refused: HTTP %u %s", r.value().http_status, type);
    return SetAll(SecretStatus::kDenied, kDenyOther);
  }
  char nonce[128];
  usize nonce_len = 0;
  {
    const Reply& reply = r.value();
    Result<usize> n =
        JsonCheck(reply.body, reply.body_len).ok()
            ? JsonMemberString(JsonSpan{reply.body, reply.body_len}, "nonce", nonce, sizeof(nonce))
            : Result<usize>(Status(Err::kInvalidArgument, "bad JSON"));
    if (!n.ok() || n.value() == 0 || g_state.cookie_len == 0) {
      Log("kbs: auth: unusable challenge (%s)",
          n.ok() ? "no session cookie" : n.status().message());
      return SetAll(SecretStatus::kUnavailable, kUnavailableBadAnswer);
    }
    nonce_len = n.value();
    for (usize i = 0; i < nonce_len; ++i) {
      if (static_cast<unsigned char>(nonce[i]) < 0x20 || nonce[i] == '"' || nonce[i] == '\\') {
        Log("kbs: auth: the nonce has characters a base64 nonce cannot have");
        return SetAll(SecretStatus::kUnavailable, kUnavailableBadAnswer);
      }
    }
  }
  Log("kbs: auth: challenge received, session cookie set (+%lu us)", ElapsedUs());

  // tee key, runtime data, REPORT_DATA, evidence
  if (const Status k = g_key.Generate(crypto::DrbgCallback, crypto::DrbgContext()); !k.ok()) {
    Log("kbs: %s", k.message());
    return SetAll(SecretStatus::kUnavailable, kUnavailableNoEvidence);
  }
  static char runtime_data[512];
  JsonWriter rd(runtime_data, sizeof(runtime_data));
  if (const Status s = WriteRuntimeData(rd, nonce, nonce_len); !s.ok() || rd.overflow()) {
    g_key.Wipe();
    return SetAll(SecretStatus::kUnavailable, kUnavailableNoEvidence);
  }
  u8 report_data[64] = {};
  {
    crypto::FpuGuard fpu;
    if (mbedtls_sha512_ret(reinterpret_cast<const u8*>(runtime_data), rd.size(), report_data,
                           /*is384=*/1) != 0) {
      g_key.Wipe();
      return SetAll(SecretStatus::kUnavailable, kUnavailableNoEvidence);
    }
  }
  const Result<usize> evidence =
      attest::ProduceEvidence(report_data, g_evidence, sizeof(g_evidence));
  if (!evidence.ok()) {
    Log("kbs: no evidence: %s", evidence.status().message());
    g_key.Wipe();
    return SetAll(SecretStatus::kUnavailable, kUnavailableNoEvidence);
  }
  Log("kbs: evidence produced: %lu bytes, REPORT_DATA = SHA-384(runtime data) (+%lu us)",
      evidence.value(), ElapsedUs());

  // attest
  JsonWriter a(g_body, sizeof(g_body) - sizeof(KbsRelayRequest) - kKbsMaxCookie - 32);
  a.Raw("{");
  a.Key("runtime-data");
  a.Raw(runtime_data, rd.size());
  a.Comma();
  a.Key("tee-evidence");
  a.Raw("{");
  a.Key("additional_evidence");
  a.String("");
  a.Comma();
  a.Key("primary_evidence");
  a.Raw("{");
  if (StrEquals("snp", g_state.tee, 3)) {
    a.Key("attestation_report");
    WriteBase64(a, B64::kStandard, g_evidence, evidence.value());
    a.Comma();
    a.Key("cert_chain");
    if (certs) {
      a.Raw("[{");
      a.Key("cert_type");
      a.String("VCEK");
      a.Comma();
      a.Key("data");
      WriteBase64(a, B64::kStandard, vcek, vcek_len);
      a.Raw("},{");
      a.Key("cert_type");
      a.String("ASK");
      a.Comma();
      a.Key("data");
      WriteBase64(a, B64::kStandard, ask, ask_len);
      a.Raw("}]");
    } else {
      a.Raw("null");
    }
  } else {
    a.Key("quote");
    WriteBase64(a, B64::kStandard, g_evidence, evidence.value());
  }
  a.Raw("}}}");
  crypto::SecureZero(g_evidence, sizeof(g_evidence));
  if (a.overflow()) {
    Log("kbs: the evidence does not fit the relay's request area");
    g_key.Wipe();
    return SetAll(SecretStatus::kUnavailable, kUnavailableRelay);
  }
  r = Exchange(kKbsOpPost, "/kbs/v0/attest", g_body, a.size());
  if (!r.ok() || r.value().http_status == 0) {
    g_key.Wipe();
    return FailExchange("attest", r);
  }
  if (r.value().http_status != 200) {
    char type[48];
    ErrorType(r.value(), type, sizeof(type));
    Log("kbs: attest: evidence refused by the KBS: HTTP %u %s (+%lu us); nothing released",
        r.value().http_status, type, ElapsedUs());
    g_key.Wipe();
    return SetAll(SecretStatus::kDenied,
                  r.value().http_status == 401 ? kDenyVerificationFailed : kDenyOther);
  }
  Log("kbs: attest: evidence verified by the KBS, attestation token received (+%lu us)",
      ElapsedUs());
  FetchResources();
  g_key.Wipe();
  Log("kbs: done (+%lu us); tee key wiped", ElapsedUs());
}

bool PathComponentOk(const char* p, usize len) {
  if (len == 0 || len > 128) return false;
  for (usize i = 0; i < len; ++i) {
    const char c = p[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

}  // namespace

bool ValidResourcePath(const char* path, usize len) {
  usize start = 0;
  u32 parts = 0;
  for (usize i = 0; i <= len; ++i) {
    if (i == len || path[i] == '/') {
      if (!PathComponentOk(path + start, i - start)) return false;
      ++parts;
      start = i + 1;
    }
  }
  return parts == 3;
}

Status InitKbsClient(const Cmdline& cmdline) {
  for (Resource& r : g_state.resources) crypto::SecureZero(r.secret, sizeof(r.secret));
  g_state.configured = false;
  g_state.done = false;
  g_state.count = 0;
  g_state.cookie_len = 0;
  StrView tee;
  g_state.tee = cmdline.Get("tee", &tee) && tee.Equals("tdx") ? "tdx" : "snp";
  StrView list;
  if (!cmdline.Get("kbs", &list)) return Status::Ok();
  usize start = 0;
  for (usize i = 0; i <= list.len; ++i) {
    if (i != list.len && list.data[i] != ',') continue;
    const usize n = i - start;
    if (g_state.count == kMaxResources) {
      return Status(Err::kInvalidArgument, "kbs: more than 4 resources in kbs=");
    }
    if (n > kMaxResourcePath || !ValidResourcePath(list.data + start, n)) {
      return Status(Err::kInvalidArgument,
                    "kbs: a kbs= resource is not <repo>/<type>/<tag> ([A-Za-z0-9][A-Za-z0-9._-]*)");
    }
    Resource& r = g_state.resources[g_state.count++];
    memcpy(r.path, list.data + start, n);
    r.path[n] = '\0';
    r.path_len = n;
    r.status = SecretStatus::kNotYetAttested;
    start = i + 1;
  }
  g_state.configured = true;
  Log("kbs: configured: %u resource(s), tee %s; attestation runs at the first timer tick",
      g_state.count, g_state.tee);
  return Status::Ok();
}

void PollKbsClient() {
  if (!g_state.configured || g_state.done) return;
  g_state.done = true;
  if (!attest::AttestationAvailable()) {
    Log("kbs: this partition cannot attest (no secure processor); nothing can be released");
    return SetAll(SecretStatus::kUnavailable, kUnavailableNoEvidence);
  }
  if (!proxy_client::BulkAvailable()) {
    Log("kbs: no host relay (no agent with bulk areas); nothing can be released");
    return SetAll(SecretStatus::kUnavailable, kUnavailableRelay);
  }
  RunFlow();
  SetAll(SecretStatus::kUnavailable, kUnavailableBadAnswer);  // anything the flow left pending
}

SecretView PeekSecret(u32 index) {
  SecretView v;
  if (!g_state.configured) {
    v.status = SecretStatus::kUnavailable;
    v.reason = kUnavailableNotConfigured;
    return v;
  }
  if (index >= g_state.count) {
    v.status = SecretStatus::kNoSuchResource;
    return v;
  }
  const Resource& r = g_state.resources[index];
  v.status = r.status;
  v.reason = r.reason;
  if (r.status == SecretStatus::kReady) {
    v.data = r.secret;
    v.len = r.secret_len;
  }
  return v;
}

void TakeSecret(u32 index) {
  if (index >= g_state.count) return;
  Resource& r = g_state.resources[index];
  crypto::SecureZero(r.secret, sizeof(r.secret));
  r.secret_len = 0;
  r.status = SecretStatus::kTaken;
  Log("kbs: resource %u handed to the guest; the paravisor's copy is wiped", index);
}

}  // namespace pv::kbs_client
