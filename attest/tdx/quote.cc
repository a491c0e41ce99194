#include "attest/tdx/quote.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "attest/common/signature_util.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/status_macros.h"

namespace pv::attest::tdx {
namespace {

// A cursor that refuses to read past the end and says what it was reading when it fails.
class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}

  absl::StatusOr<absl::string_view> Take(size_t n, absl::string_view field) {
    if (n > data_.size() - pos_) {
      return absl::InvalidArgumentError(
          absl::StrCat("TDX quote truncated: field ", field, " at offset ", pos_, " needs ", n,
                       " bytes, only ", data_.size() - pos_, " left"));
    }
    absl::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  absl::StatusOr<uint16_t> U16(absl::string_view field) {
    auto b = Take(2, field);
    if (!b.ok()) return b.status();
    return ReadLe16(*b, 0);
  }
  absl::StatusOr<uint32_t> U32(absl::string_view field) {
    auto b = Take(4, field);
    if (!b.ok()) return b.status();
    return ReadLe32(*b, 0);
  }
  size_t pos() const { return pos_; }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

// r||s, 32 bytes each, big-endian.
bool LowS(absl::string_view signature) {
  const auto* s = reinterpret_cast<const uint8_t*>(signature.data()) + 32;
  return IsLowS(ByteSpan(s, signature.size() - 32), "prime256v1");
}

}  // namespace

absl::StatusOr<ParsedQuote> ParseQuote(absl::string_view quote) {
  if (quote.size() > kMaxQuoteSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("TDX quote too large: ", quote.size(), " bytes, limit ", kMaxQuoteSize));
  }
  ParsedQuote q;
  Reader r(quote);
  PV_TDX_ASSIGN_OR_RETURN(q.header, r.Take(kQuoteHeaderSize, "header"));
  q.version = ReadLe16(q.header, 0);
  q.att_key_type = ReadLe16(q.header, 2);
  q.tee_type = ReadLe32(q.header, 4);
  q.qe_svn = ReadLe16(q.header, 8);
  q.pce_svn = ReadLe16(q.header, 10);
  if (q.version != 4 && q.version != 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("TDX quote header.version (offset 0) = ", q.version, ", expected 4 or 5"));
  }
  if (q.att_key_type != kAttestationKeyTypeEcdsaP256) {
    return absl::InvalidArgumentError(absl::StrCat("TDX quote header.att_key_type (offset 2) = ",
                                                   q.att_key_type, ", expected 2 (ECDSA-P256)"));
  }
  if (q.tee_type != kTeeTypeTdx) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "TDX quote header.tee_type (offset 4) = 0x%x, expected 0x81 (TDX)", q.tee_type));
  }
  size_t body_size = kTdReportBody10Size;
  if (q.version == 5) {
    uint32_t declared = 0;
    PV_TDX_ASSIGN_OR_RETURN(q.body_type, r.U16("body_type"));
    PV_TDX_ASSIGN_OR_RETURN(declared, r.U32("body_size"));
    if (q.body_type == 2) {
      body_size = kTdReportBody10Size;
    } else if (q.body_type == 3) {
      body_size = kTdReportBody15Size;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("TDX v5 quote body_type (offset 48) = ", q.body_type,
                       ", expected 2 (TD1.0) or 3 (TD1.5)"));
    }
    if (declared != body_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("TDX v5 quote body_size (offset 50) = ", declared, ", expected ", body_size,
                       " for body_type ", q.body_type));
    }
  }
  PV_TDX_ASSIGN_OR_RETURN(q.body, r.Take(body_size, "td_report_body"));
  q.signed_data = quote.substr(0, r.pos());

  uint32_t sig_data_len = 0;
  PV_TDX_ASSIGN_OR_RETURN(sig_data_len, r.U32("signature_data_length"));
  absl::string_view sig_data;
  PV_TDX_ASSIGN_OR_RETURN(sig_data, r.Take(sig_data_len, "signature_data"));
  q.consumed = r.pos();

  Reader s(sig_data);
  PV_TDX_ASSIGN_OR_RETURN(q.signature, s.Take(64, "quote_signature"));
  PV_TDX_ASSIGN_OR_RETURN(q.attestation_key, s.Take(64, "attestation_key"));
  PV_TDX_ASSIGN_OR_RETURN(q.cert_data_type, s.U16("certification_data.type"));
  uint32_t cert_size = 0;
  PV_TDX_ASSIGN_OR_RETURN(cert_size, s.U32("certification_data.size"));
  if (q.cert_data_type != kCertDataTypeQeReport) {
    return absl::InvalidArgumentError(
        absl::StrCat("TDX quote certification_data.type = ", q.cert_data_type,
                     ", expected 6 (QE report certification data)"));
  }
  absl::string_view cert;
  PV_TDX_ASSIGN_OR_RETURN(cert, s.Take(cert_size, "certification_data"));
  Reader c(cert);
  PV_TDX_ASSIGN_OR_RETURN(q.qe_report, c.Take(kQeReportSize, "qe_report"));
  PV_TDX_ASSIGN_OR_RETURN(q.qe_report_signature, c.Take(64, "qe_report_signature"));
  uint16_t auth_size = 0;
  PV_TDX_ASSIGN_OR_RETURN(auth_size, c.U16("qe_auth_data.size"));
  PV_TDX_ASSIGN_OR_RETURN(q.qe_auth_data, c.Take(auth_size, "qe_auth_data"));
  PV_TDX_ASSIGN_OR_RETURN(q.pck_cert_data_type, c.U16("pck_cert_data.type"));
  uint32_t pck_size = 0;
  PV_TDX_ASSIGN_OR_RETURN(pck_size, c.U32("pck_cert_data.size"));
  if (q.pck_cert_data_type != kCertDataTypePckChain) {
    return absl::InvalidArgumentError(
        absl::StrCat("TDX quote pck_cert_data.type = ", q.pck_cert_data_type,
                     ", expected 5 (PCK certificate chain)"));
  }
  PV_TDX_ASSIGN_OR_RETURN(q.pck_chain_pem, c.Take(pck_size, "pck_cert_data"));
  q.trailing = quote.size() - q.consumed;
  q.trailing_all_zero = quote.find_first_not_of('\0', q.consumed) == absl::string_view::npos;
  q.signature_data_slack = sig_data.size() - s.pos();
  q.certification_data_slack = cert.size() - c.pos();
  return q;
}

std::vector<std::pair<std::string, std::string>> DecodeQuoteFields(const ParsedQuote& q) {
  std::vector<std::pair<std::string, std::string>> f;
  auto hex = [](absl::string_view b) { return HexEncode(b); };
  using B = TdBodyLayout;
  using Qe = QeReportLayout;
  f.emplace_back("VERSION", absl::StrCat(q.version));
  f.emplace_back("ATT_KEY_TYPE", absl::StrCat(q.att_key_type));
  f.emplace_back("TEE_TYPE", absl::StrFormat("%08x", q.tee_type));
  f.emplace_back("QE_SVN", absl::StrCat(q.qe_svn));
  f.emplace_back("PCE_SVN", absl::StrCat(q.pce_svn));
  f.emplace_back("QE_VENDOR_ID", hex(q.header.substr(12, 16)));
  f.emplace_back("USER_DATA", hex(q.header.substr(28, 20)));
  if (q.version == 5) {
    f.emplace_back("BODY_TYPE", absl::StrCat(q.body_type));
    f.emplace_back("BODY_SIZE", absl::StrCat(q.body.size()));
  }
  f.emplace_back("TEE_TCB_SVN", hex(q.BodyField(B::kTeeTcbSvn, 16)));
  f.emplace_back("MRSEAM", hex(q.BodyField(B::kMrSeam, 48)));
  f.emplace_back("MRSIGNERSEAM", hex(q.BodyField(B::kMrSignerSeam, 48)));
  f.emplace_back("SEAM_ATTRIBUTES", hex(q.BodyField(B::kSeamAttributes, 8)));
  f.emplace_back("TD_ATTRIBUTES", hex(q.BodyField(B::kTdAttributes, 8)));
  f.emplace_back("XFAM", hex(q.BodyField(B::kXfam, 8)));
  f.emplace_back("MRTD", hex(q.BodyField(B::kMrTd, 48)));
  f.emplace_back("MRCONFIGID", hex(q.BodyField(B::kMrConfigId, 48)));
  f.emplace_back("MROWNER", hex(q.BodyField(B::kMrOwner, 48)));
  f.emplace_back("MROWNERCONFIG", hex(q.BodyField(B::kMrOwnerConfig, 48)));
  for (int i = 0; i < 4; ++i) {
    f.emplace_back(absl::StrCat("RTMR", i), hex(q.BodyField(B::kRtmr0 + 48 * i, 48)));
  }
  f.emplace_back("REPORT_DATA", hex(q.BodyField(B::kReportData, 64)));
  if (q.body.size() == kTdReportBody15Size) {
    f.emplace_back("TEE_TCB_SVN_2", hex(q.BodyField(B::kTeeTcbSvn2, 16)));
    f.emplace_back("MRSERVICETD", hex(q.BodyField(B::kMrServiceTd, 48)));
  }
  const bool debug = (static_cast<uint8_t>(q.body[B::kTdAttributes]) & 1) != 0;
  f.emplace_back("TD_ATTRIBUTES.DEBUG", debug ? "true" : "false");
  // Bit 28: EPT violations on pending private pages are not reported to the TD as #VE, which
  // Linux guests need to be safe from a host that removes pages under them.
  const bool sept_ve_disable = (static_cast<uint8_t>(q.body[B::kTdAttributes + 3]) & 0x10) != 0;
  f.emplace_back("TD_ATTRIBUTES.SEPT_VE_DISABLE", sept_ve_disable ? "true" : "false");
  f.emplace_back("TDX_MODULE_MAJOR", absl::StrCat(static_cast<uint8_t>(q.body[1])));
  f.emplace_back("TDX_MODULE_MINOR", absl::StrCat(static_cast<uint8_t>(q.body[0])));
  f.emplace_back("QUOTE_SIGNATURE", hex(q.signature));
  f.emplace_back("QUOTE_SIGNATURE.LOW_S", LowS(q.signature) ? "true" : "false");
  f.emplace_back("ATTESTATION_KEY", hex(q.attestation_key));
  f.emplace_back("CERT_DATA_TYPE", absl::StrCat(q.cert_data_type));
  f.emplace_back("QE_REPORT.CPUSVN", hex(q.QeField(Qe::kCpuSvn, 16)));
  f.emplace_back("QE_REPORT.MISCSELECT", hex(q.QeField(Qe::kMiscSelect, 4)));
  f.emplace_back("QE_REPORT.ATTRIBUTES", hex(q.QeField(Qe::kAttributes, 16)));
  f.emplace_back("QE_REPORT.MRENCLAVE", hex(q.QeField(Qe::kMrEnclave, 32)));
  f.emplace_back("QE_REPORT.MRSIGNER", hex(q.QeField(Qe::kMrSigner, 32)));
  f.emplace_back("QE_REPORT.ISVPRODID", absl::StrCat(ReadLe16(q.qe_report, Qe::kIsvProdId)));
  f.emplace_back("QE_REPORT.ISVSVN", absl::StrCat(ReadLe16(q.qe_report, Qe::kIsvSvn)));
  f.emplace_back("QE_REPORT.REPORT_DATA", hex(q.QeField(Qe::kReportData, 64)));
  f.emplace_back("QE_REPORT_SIGNATURE", hex(q.qe_report_signature));
  f.emplace_back("QE_REPORT_SIGNATURE.LOW_S", LowS(q.qe_report_signature) ? "true" : "false");
  f.emplace_back("QE_AUTH_DATA", hex(q.qe_auth_data));
  f.emplace_back("TRAILING_BYTES", absl::StrCat(q.trailing));
  f.emplace_back("TRAILING_BYTES.ALL_ZERO", q.trailing_all_zero ? "true" : "false");
  f.emplace_back("SIGNATURE_DATA.SLACK",
                 absl::StrCat(q.signature_data_slack + q.certification_data_slack));
  return f;
}

}  // namespace pv::attest::tdx
