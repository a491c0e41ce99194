#include "attest/simsp/guest_request_server.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "attest/common/bytes.h"
#include "attest/simsp/guest_request_state.h"
#include "attest/simsp/sim_tdx_quoting.h"
#include "attest/simsp/state_files.h"
#include "protocol/attest/secrets_page.h"

namespace pv::attest::simsp {
namespace {

namespace ap = pv::attest_proto;

constexpr size_t kReportSize = ap::kAttestationReportSize;

void Iv(uint64_t seqno, uint8_t iv[ap::kIvSize]) {
  std::memset(iv, 0, ap::kIvSize);
  for (int i = 0; i < 8; ++i) iv[i] = static_cast<uint8_t>(seqno >> (8 * i));
}

void Put(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

bool AllZero(const uint8_t* p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc |= p[i];
  return acc == 0;
}

}  // namespace

bool GuestMsgSeal(const Vmpck& key, uint64_t seqno, std::span<const uint8_t> aad,
                  std::span<const uint8_t> plaintext, uint8_t* ciphertext, uint8_t tag[16]) {
  uint8_t iv[ap::kIvSize];
  Iv(seqno, iv);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  bool ok = ctx != nullptr &&
            EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), iv) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
            (plaintext.empty() || EVP_EncryptUpdate(ctx, ciphertext, &len, plaintext.data(),
                                                    static_cast<int>(plaintext.size())) == 1) &&
            EVP_EncryptFinal_ex(ctx, ciphertext + plaintext.size(), &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

bool GuestMsgOpen(const Vmpck& key, uint64_t seqno, std::span<const uint8_t> aad,
                  std::span<const uint8_t> ciphertext, const uint8_t tag[16], uint8_t* plaintext) {
  uint8_t iv[ap::kIvSize];
  Iv(seqno, iv);
  uint8_t tag_copy[16];
  std::memcpy(tag_copy, tag, 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  bool ok = ctx != nullptr &&
            EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), iv) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
            (ciphertext.empty() || EVP_DecryptUpdate(ctx, plaintext, &len, ciphertext.data(),
                                                     static_cast<int>(ciphertext.size())) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag_copy) == 1 &&
            EVP_DecryptFinal_ex(ctx, plaintext + ciphertext.size(), &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) OPENSSL_cleanse(plaintext, ciphertext.size());
  return ok;
}

std::vector<uint8_t> BuildGuestMessage(const Vmpck& key, unsigned vmpck_index, uint64_t seqno,
                                       uint8_t type, std::span<const uint8_t> payload) {
  std::vector<uint8_t> msg(sizeof(ap::GuestMsgHeader) + payload.size(), 0);
  ap::GuestMsgHeader h{};
  h.msg_seqno = seqno;
  h.algo = ap::kAeadAes256Gcm;
  h.hdr_version = ap::kHeaderVersion;
  h.hdr_sz = sizeof(ap::GuestMsgHeader);
  h.msg_type = type;
  h.msg_version = ap::kMessageVersion;
  h.msg_sz = static_cast<uint16_t>(payload.size());
  h.msg_vmpck = static_cast<uint8_t>(vmpck_index);
  std::memcpy(msg.data(), &h, sizeof(h));
  GuestMsgSeal(key, seqno, std::span<const uint8_t>(msg.data() + ap::kAadOffset, ap::kAadSize),
               payload, msg.data() + sizeof(h), msg.data());
  return msg;
}

absl::StatusOr<std::unique_ptr<GuestRequestServer>> GuestRequestServer::Create(
    const SimulatedAmdSp* sp, const PartitionIdentity& id) {
  std::array<Vmpck, 4> keys;
  for (Vmpck& k : keys) {
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1)
      return absl::InternalError("RAND_bytes failed");
  }
  auto server = std::make_unique<GuestRequestServer>(sp, id, keys);
  for (Vmpck& k : keys) OPENSSL_cleanse(k.data(), k.size());
  if (RAND_bytes(server->report_id_.data(), static_cast<int>(server->report_id_.size())) != 1 ||
      RAND_bytes(server->td_mac_key_.data(), static_cast<int>(server->td_mac_key_.size())) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  return server;
}

GuestRequestServer::GuestRequestServer(const SimulatedAmdSp* sp, const PartitionIdentity& id,
                                       const std::array<Vmpck, 4>& vmpcks)
    : sp_(sp), id_(id), vmpck_(vmpcks) {}

GuestRequestServer::~GuestRequestServer() {
  OPENSSL_cleanse(td_mac_key_.data(), td_mac_key_.size());
  absl::MutexLock lock(&mu_);
  for (Vmpck& k : vmpck_) OPENSSL_cleanse(k.data(), k.size());
}

std::vector<uint8_t> GuestRequestServer::SecretsPage() const {
  ap::SecretsPage page{};
  page.version = ap::kSecretsPageVersion;
  page.fms = (uint32_t{kSimCpuidFamily} << 8) | kSimCpuidModel << 4 | kSimCpuidStepping;
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < ap::kVmpckCount; ++i) {
      std::memcpy(page.vmpck[i], vmpck_[i].data(), ap::kVmpckSize);
    }
  }
  std::vector<uint8_t> out(sizeof(page));
  std::memcpy(out.data(), &page, sizeof(page));
  OPENSSL_cleanse(&page, sizeof(page));
  return out;
}

void GuestRequestServer::SetMeasurement(const std::array<uint8_t, 48>& measurement,
                                        const std::array<uint8_t, 48>& mrtd) {
  absl::MutexLock lock(&mu_);
  id_.measurement = measurement;
  id_.mrtd = mrtd;
  dirty_ = true;
  // A failure here is retried before the next answer, which is withheld if it fails again.
  if (!state_path_.empty()) (void)WriteState();
}

namespace {
void TdReportMac(const std::array<uint8_t, 32>& key, const uint8_t* report, uint8_t mac[32]) {
  unsigned int len = 32;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), report, kTdReportMacedBytes, mac,
       &len);
}
}  // namespace

bool GuestRequestServer::VerifyTdReportMac(std::span<const uint8_t> tdreport) const {
  if (tdreport.size() != ap::kTdReportSize) return false;
  uint8_t mac[32];
  TdReportMac(td_mac_key_, tdreport.data(), mac);
  return CRYPTO_memcmp(mac, tdreport.data() + kTdReportMacOffset, 32) == 0;
}

absl::Status GuestRequestServer::CheckTdReport(std::span<const uint8_t> tdreport) const {
  if (tdreport.size() != ap::kTdReportSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("TDREPORT: ", tdreport.size(), " bytes, expected ", ap::kTdReportSize));
  }
  bool tdx = false;
  {
    absl::MutexLock lock(&mu_);
    tdx = id_.tdx_personality;
  }
  if (!tdx) {
    return absl::FailedPreconditionError(
        "TDREPORT: this partition's simulated platform is not the TDX personality");
  }
  // One copy of the untrusted bytes; everything below reads the copy.
  std::array<uint8_t, ap::kTdReportSize> r;
  std::memcpy(r.data(), tdreport.data(), r.size());
  if (r[0] != 0x81) {
    return absl::InvalidArgumentError(
        absl::StrCat("TDREPORT: REPORTTYPE.TYPE ", r[0], ", expected 0x81 (TDX)"));
  }
  if (!VerifyTdReportMac(r)) {
    return absl::PermissionDeniedError(
        "TDREPORT: MAC does not verify (not produced by this partition's simulated TDX module, "
        "or altered)");
  }
  // The MAC covers REPORTMACSTRUCT only; TEE_TCB_INFO and TDINFO are bound through their hashes.
  uint8_t digest[48];
  unsigned int len = 48;
  EVP_Digest(r.data() + kTdTeeTcbInfoOffset, kTdTeeTcbInfoSize, digest, &len, EVP_sha384(),
             nullptr);
  if (CRYPTO_memcmp(digest, r.data() + 32, 48) != 0) {
    return absl::PermissionDeniedError("TDREPORT: TEE_TCB_INFO does not match TEE_TCB_INFO_HASH");
  }
  EVP_Digest(r.data() + kTdInfoOffset, 512, digest, &len, EVP_sha384(), nullptr);
  if (CRYPTO_memcmp(digest, r.data() + 80, 48) != 0) {
    return absl::PermissionDeniedError("TDREPORT: TDINFO does not match TEE_INFO_HASH");
  }
  return absl::OkStatus();
}

// TDREPORT_STRUCT: REPORTMACSTRUCT (REPORTTYPE 0x81 = TDX, CPUSVN, TEE_TCB_INFO_HASH,
// TEE_INFO_HASH, REPORTDATA, MAC), TEE_TCB_INFO, TDINFO (ATTRIBUTES, XFAM, MRTD, MRCONFIGID,
// MROWNER, MROWNERCONFIG, RTMR0-3, SERVTD_HASH). RTMRs are zero: nothing extends them yet.
std::vector<uint8_t> GuestRequestServer::TdReportResponse(std::span<const uint8_t> request) {
  std::vector<uint8_t> out(sizeof(ap::ReportResponseHeader), 0);
  if (request.size() != 64) {
    Put(out.data(), ap::kReportStatusInvalidParams, 4);
    return out;
  }
  out.resize(sizeof(ap::ReportResponseHeader) + ap::kTdReportSize, 0);
  Put(out.data(), ap::kReportStatusSuccess, 4);
  Put(out.data() + 4, ap::kTdReportSize, 4);
  uint8_t* r = out.data() + sizeof(ap::ReportResponseHeader);
  r[0] = 0x81;  // REPORTTYPE.TYPE: TDX
  std::memcpy(r + kTdReportDataOffset, request.data(), 64);
  uint8_t* tcb = r + kTdTeeTcbInfoOffset;
  std::memset(tcb, 0xFF, 8);                       // VALID
  std::memcpy(tcb + 8, kSimTeeTcbSvn.data(), 16);  // TEE_TCB_SVN: simulated module 1.3
  std::memset(tcb + 24, kSimMrSeamByte, 48);       // MRSEAM; MRSIGNERSEAM stays zero
  uint8_t* info = r + kTdInfoOffset;
  Put(info, id_.td_attributes, 8);
  Put(info + 8, 0x3, 8);  // XFAM: x87, SSE
  std::memcpy(info + 16, id_.mrtd.data(), 48);
  for (size_t i = 0; i < rtmr_.size(); ++i) {
    std::memcpy(r + kTdInfoRtmrOffset + 48 * i, rtmr_[i].data(), 48);
  }
  unsigned int len = 48;
  EVP_Digest(tcb, kTdTeeTcbInfoSize, r + 32, &len, EVP_sha384(), nullptr);
  EVP_Digest(info, 512, r + 80, &len, EVP_sha384(), nullptr);
  TdReportMac(td_mac_key_, r, r + kTdReportMacOffset);
  return out;
}

std::vector<uint8_t> GuestRequestServer::RtmrExtendResponse(std::span<const uint8_t> request) {
  std::vector<uint8_t> out(sizeof(ap::ReportResponseHeader), 0);
  uint64_t index = 0;
  if (request.size() == ap::kRtmrExtendRequestSize) std::memcpy(&index, request.data(), 8);  // LE
  if (request.size() != ap::kRtmrExtendRequestSize || index >= ap::kRtmrCount) {
    Put(out.data(), ap::kReportStatusInvalidParams, 4);
    return out;
  }
  // RTMR = SHA-384(RTMR || data), as the TDX module extends it.
  uint8_t buf[2 * ap::kRtmrSize];
  std::memcpy(buf, rtmr_[index].data(), ap::kRtmrSize);
  std::memcpy(buf + ap::kRtmrSize, request.data() + 8, ap::kRtmrSize);
  unsigned int len = ap::kRtmrSize;
  EVP_Digest(buf, sizeof(buf), rtmr_[index].data(), &len, EVP_sha384(), nullptr);
  dirty_ = true;
  out.resize(sizeof(ap::ReportResponseHeader) + ap::kRtmrSize);
  Put(out.data(), ap::kReportStatusSuccess, 4);
  Put(out.data() + 4, ap::kRtmrSize, 4);
  std::memcpy(out.data() + sizeof(ap::ReportResponseHeader), rtmr_[index].data(), ap::kRtmrSize);
  return out;
}

std::array<uint8_t, 48> GuestRequestServer::Rtmr(unsigned index) const {
  absl::MutexLock lock(&mu_);
  return index < rtmr_.size() ? rtmr_[index] : std::array<uint8_t, 48>{};
}

bool GuestRequestServer::VmpckWiped(unsigned index) const {
  absl::MutexLock lock(&mu_);
  return index < 4 && wiped_[index];
}

void GuestRequestServer::Wipe(unsigned index) {
  OPENSSL_cleanse(vmpck_[index].data(), vmpck_[index].size());
  wiped_[index] = true;
  dirty_ = true;
}

absl::StatusOr<std::vector<uint8_t>> GuestRequestServer::Handle(std::span<const uint8_t> message) {
  absl::StatusOr<std::vector<uint8_t>> out = Process(message);
  absl::MutexLock lock(&mu_);
  if (dirty_ && !state_path_.empty()) {
    if (absl::Status s = WriteState(); !s.ok()) {
      // The answer must not leave while the state it advanced is not recorded (a restarted
      // agent would accept the same sequence number again).
      return absl::InternalError(
          absl::StrCat("guest message: answer withheld, state not saved: ", s.message()));
    }
  }
  return out;
}

absl::Status GuestRequestServer::WriteState() {
  GuestRequestState st;
  st.vmpck = vmpck_;
  st.wiped = wiped_;
  st.next_seqno = next_seqno_;
  st.rtmr = rtmr_;
  st.report_id = report_id_;
  st.td_mac_key = td_mac_key_;
  st.tdx_personality = id_.tdx_personality;
  st.measurement = id_.measurement;
  st.mrtd = id_.mrtd;
  st.policy = id_.policy;
  st.td_attributes = id_.td_attributes;
  st.host_data = id_.host_data;
  st.family_id = id_.family_id;
  st.image_id = id_.image_id;
  std::vector<uint8_t> bytes = EncodeGuestRequestState(st);
  // Not fsync'd: the file must survive the agent, not the host (a host crash ends the
  // partition too), and a guest message should not wait for the disk.
  absl::Status s = WriteStateFile(
      state_path_, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
      0600, /*durable=*/false);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  if (s.ok()) dirty_ = false;
  return s;
}

absl::Status GuestRequestServer::PersistTo(const std::string& path) {
  absl::MutexLock lock(&mu_);
  state_path_ = path;
  return WriteState();
}

absl::StatusOr<std::unique_ptr<GuestRequestServer>> GuestRequestServer::Restore(
    const SimulatedAmdSp* sp, const std::string& path) {
  absl::StatusOr<Bytes> bytes = ReadFileBytes(path, kGuestRequestStateSize + 1);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<GuestRequestState> st = ParseGuestRequestState(*bytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (!st.ok())
    return absl::Status(st.status().code(), absl::StrCat(path, ": ", st.status().message()));
  PartitionIdentity id;
  id.tdx_personality = st->tdx_personality;
  id.measurement = st->measurement;
  id.mrtd = st->mrtd;
  id.policy = st->policy;
  id.td_attributes = st->td_attributes;
  id.host_data = st->host_data;
  id.family_id = st->family_id;
  id.image_id = st->image_id;
  auto server = std::make_unique<GuestRequestServer>(sp, id, st->vmpck);
  server->report_id_ = st->report_id;
  server->td_mac_key_ = st->td_mac_key;
  absl::MutexLock lock(&server->mu_);
  server->wiped_ = st->wiped;
  server->next_seqno_ = st->next_seqno;
  server->rtmr_ = st->rtmr;
  for (unsigned i = 0; i < 4; ++i) {
    if (server->wiped_[i]) OPENSSL_cleanse(server->vmpck_[i].data(), server->vmpck_[i].size());
  }
  server->state_path_ = path;
  return server;
}

absl::StatusOr<std::vector<uint8_t>> GuestRequestServer::Process(std::span<const uint8_t> message) {
  constexpr size_t kHeader = sizeof(ap::GuestMsgHeader);
  if (message.size() < kHeader || message.size() > ap::kPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("guest message: ", message.size(), " bytes (96..4096)"));
  }
  // One copy of the untrusted bytes; everything below reads the copy.
  std::vector<uint8_t> msg(message.begin(), message.end());
  ap::GuestMsgHeader h;
  std::memcpy(&h, msg.data(), kHeader);
  if (h.algo != ap::kAeadAes256Gcm || h.hdr_version != ap::kHeaderVersion || h.hdr_sz != kHeader ||
      h.msg_version != ap::kMessageVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "guest message: header algo ", h.algo, " / hdr_version ", h.hdr_version, " / hdr_sz ",
        h.hdr_sz, " / msg_version ", h.msg_version, " (expected 1 / 1 / 96 / 1)"));
  }
  if (h.msg_sz != msg.size() - kHeader) {
    return absl::InvalidArgumentError(absl::StrCat("guest message: msg_sz ", h.msg_sz, " but ",
                                                   msg.size() - kHeader, " payload bytes"));
  }
  if (h.msg_vmpck >= ap::kVmpckCount) {
    return absl::InvalidArgumentError(
        absl::StrCat("guest message: msg_vmpck ", h.msg_vmpck, " (0..3)"));
  }
  if (!AllZero(h.authtag + ap::kAuthTagSize, sizeof(h.authtag) - ap::kAuthTagSize) ||
      !AllZero(h.rsvd1, sizeof(h.rsvd1)) || h.rsvd2 != 0 || !AllZero(h.rsvd3, sizeof(h.rsvd3))) {
    return absl::InvalidArgumentError("guest message: reserved header bytes are not zero");
  }
  const unsigned k = h.msg_vmpck;
  absl::MutexLock lock(&mu_);
  if (wiped_[k]) {
    return absl::FailedPreconditionError(absl::StrCat(
        "guest message: VMPCK", k, " was wiped after an earlier failure; no further answers"));
  }
  if (h.msg_seqno != next_seqno_[k]) {
    Wipe(k);
    return absl::PermissionDeniedError(absl::StrCat("guest message: sequence number ", h.msg_seqno,
                                                    " for VMPCK", k, ", expected ", next_seqno_[k],
                                                    " (replay or lost sync); VMPCK", k, " wiped"));
  }
  std::vector<uint8_t> plain(h.msg_sz);
  if (!GuestMsgOpen(vmpck_[k], h.msg_seqno,
                    std::span<const uint8_t>(msg.data() + ap::kAadOffset, ap::kAadSize),
                    std::span<const uint8_t>(msg.data() + kHeader, h.msg_sz), h.authtag,
                    plain.data())) {
    Wipe(k);
    return absl::PermissionDeniedError(absl::StrCat(
        "guest message: authentication failed (tag, header or ciphertext altered); VMPCK", k,
        " wiped"));
  }
  std::vector<uint8_t> response_payload;
  uint8_t response_type = 0;
  if (h.msg_type == ap::kMsgSimTdReportReq && id_.tdx_personality) {
    response_payload = TdReportResponse(plain);
    response_type = ap::kMsgSimTdReportRsp;
  } else if (h.msg_type == ap::kMsgSimRtmrExtendReq && id_.tdx_personality) {
    response_payload = RtmrExtendResponse(plain);
    response_type = ap::kMsgSimRtmrExtendRsp;
  } else if (h.msg_type == ap::kMsgReportReq && !id_.tdx_personality) {
    if (plain.size() != sizeof(ap::ReportRequest)) {
      // Authenticated but malformed: answered (with an error status) so the seqno advances.
      response_payload.assign(sizeof(ap::ReportResponseHeader), 0);
      Put(response_payload.data(), ap::kReportStatusInvalidParams, 4);
    } else {
      response_payload = ReportResponse(plain, k);
    }
    response_type = ap::kMsgReportRsp;
  } else {
    // A message type this simulated firmware does not implement: like the firmware, no
    // answer; the sequence number is consumed so it can never be reused.
    next_seqno_[k] += 2;
    dirty_ = true;
    OPENSSL_cleanse(plain.data(), plain.size());
    const char* hint = "";
    if (h.msg_type == ap::kMsgReportReq) {
      hint =
          " under the TDX personality (a tee=tdx partition's paravisor needs tee=tdx on its "
          "command line)";
    } else if (h.msg_type == ap::kMsgSimTdReportReq || h.msg_type == ap::kMsgSimRtmrExtendReq) {
      hint = " under the SEV-SNP personality";
    }
    return absl::UnimplementedError(absl::StrCat("guest message: type ", h.msg_type,
                                                 " is not implemented by the ", kSimulatedAmdSpName,
                                                 hint));
  }
  OPENSSL_cleanse(plain.data(), plain.size());
  return Respond(k, h.msg_seqno, response_type, response_payload);
}

absl::StatusOr<std::vector<uint8_t>> GuestRequestServer::Respond(unsigned k, uint64_t seqno,
                                                                 uint8_t type,
                                                                 std::span<const uint8_t> payload) {
  std::vector<uint8_t> out = BuildGuestMessage(vmpck_[k], k, seqno + 1, type, payload);
  next_seqno_[k] = seqno + 2;
  dirty_ = true;
  return out;
}

std::vector<uint8_t> GuestRequestServer::ReportResponse(std::span<const uint8_t> request,
                                                        unsigned vmpl_floor) {
  ap::ReportRequest req;
  std::memcpy(&req, request.data(), sizeof(req));
  std::vector<uint8_t> out(sizeof(ap::ReportResponseHeader) + kReportSize, 0);
  auto fail = [&](uint32_t status) {
    out.resize(sizeof(ap::ReportResponseHeader));
    Put(out.data(), status, 4);
    return out;
  };
  // The requested VMPL may not be more privileged than the requester's (its VMPCK index).
  if (req.vmpl > 3 || req.vmpl < vmpl_floor || !AllZero(req.rsvd, sizeof(req.rsvd)) ||
      (req.key_sel & ~3u) != 0) {
    return fail(ap::kReportStatusInvalidParams);
  }
  if ((req.key_sel & 3) > 1) return fail(ap::kReportStatusInvalidKeySel);  // no VLEK here
  uint8_t* r = out.data() + sizeof(ap::ReportResponseHeader);
  Put(out.data(), ap::kReportStatusSuccess, 4);
  Put(out.data() + 4, kReportSize, 4);
  Put(r + 0x000, 5, 4);  // VERSION
  Put(r + 0x008, id_.policy, 8);
  std::memcpy(r + 0x010, id_.family_id.data(), 16);
  std::memcpy(r + 0x020, id_.image_id.data(), 16);
  Put(r + 0x030, req.vmpl, 4);
  Put(r + 0x034, 1, 4);  // SIGNATURE_ALGO: ECDSA P-384 with SHA-384
  const uint64_t tcb = sp_->tcb().Encoded();
  Put(r + 0x038, tcb, 8);  // CURRENT_TCB
  Put(r + 0x040, 1, 8);    // PLATFORM_INFO: SMT enabled
  Put(r + 0x048, 0, 4);    // SIGNER_INFO: signed by the VCEK
  std::memcpy(r + 0x050, req.user_data, 64);
  std::memcpy(r + 0x090, id_.measurement.data(), 48);
  std::memcpy(r + 0x0C0, id_.host_data.data(), 32);
  std::memcpy(r + 0x140, report_id_.data(), 32);
  std::memset(r + 0x160, 0xFF, 32);  // REPORT_ID_MA: no migration agent
  Put(r + 0x180, tcb, 8);            // REPORTED_TCB
  r[0x188] = kSimCpuidFamily;
  r[0x189] = kSimCpuidModel;
  r[0x18A] = kSimCpuidStepping;
  std::memcpy(r + 0x1A0, sp_->chip_id().data(), 64);
  Put(r + 0x1E0, tcb, 8);  // COMMITTED_TCB
  Put(r + 0x1F0, tcb, 8);  // LAUNCH_TCB
  if (!sp_->SignReport(std::span<uint8_t>(r, kReportSize)).ok())
    return fail(ap::kReportStatusInvalidParams);
  return out;
}

}  // namespace pv::attest::simsp
