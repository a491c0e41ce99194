// `pvattest inspect FILE`: prints every field of an SNP report, a TDX quote, a GHCB certificate
// table, certificates (with AMD VEK extensions decoded), a CRL, or a JSON collateral document.
// The file type is recognised from its content, not its name.
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "attest/cli/args.h"
#include "attest/cli/commands.h"
#include "attest/cli/tdx_bridge.h"
#include "attest/common/cert_util.h"
#include "attest/common/evidence_length.h"
#include "attest/common/trust_anchors.h"
#include "attest/hcl/hcl_report.h"
#include "attest/snp/cert_table.h"
#include "attest/snp/snp_report.h"
#include "attest/snp/vek_cert.h"

namespace pv::attest::cli {
namespace {

void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields,
                 std::ostream& out) {
  size_t width = 0;
  for (const auto& f : fields) width = std::max(width, f.first.size());
  for (const auto& [name, value] : fields) {
    out << "  " << name << std::string(width - name.size() + 1, ' ') << value << "\n";
  }
}

void PrintCertificate(const X509* cert, std::ostream& out) {
  out << CertificateText(cert);
  if (auto digest = CertificateSha256(cert); digest.ok()) {
    out << "  SHA-256 fingerprint: " << HexEncode(*digest) << "\n";
    if (auto pin = FindPinnedRoot(*digest)) {
      out << "  pinned trust anchor: " << pin->name << "\n";
    }
  }
  if (auto ext = snp::ParseVekExtensions(cert); ext.ok()) {
    auto fields = snp::DescribeVekExtensions(*ext, "AMD.");
    if (!fields.empty()) {
      out << "  AMD SEV extensions:\n";
      PrintFields(fields, out);
    }
  } else {
    out << "  AMD SEV extensions: malformed: " << ext.status().message() << "\n";
  }
}

// A report, optionally followed by padding (judged by `verify`'s length check, reported here).
bool LooksLikeSnpReport(const Bytes& data) {
  if (data.size() < snp::kReportSize || data.size() > snp::kReportSize + 64 * 1024) return false;
  const uint32_t version = LoadLe32(data.data());
  return version >= snp::kMinReportVersion && version <= snp::kMaxReportVersion;
}

bool LooksLikeTdxQuote(const Bytes& data) {
  if (data.size() < 48) return false;
  const uint16_t version = LoadLe16(data.data());
  const uint16_t key_type = LoadLe16(data.data() + 2);
  return (version == 4 || version == 5) && key_type == 2;
}

bool LooksLikeHexQuote(const Bytes& data) {
  std::string compact;
  for (uint8_t c : data) {
    if (!isspace(c)) compact.push_back(static_cast<char>(c));
    if (compact.size() > 16) break;
  }
  if (compact.rfind("0x", 0) == 0) compact = compact.substr(2);
  return compact.rfind("04000200", 0) == 0 || compact.rfind("05000200", 0) == 0;
}

int InspectCrl(const Bytes& data, std::ostream& out) {
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  X509_CRL* raw = LooksLikePem(data) ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)
                                     : d2i_X509_CRL_bio(bio.get(), nullptr);
  if (raw == nullptr) {
    DrainOpenSslErrors();
    return -1;
  }
  X509CrlPtr crl(raw);
  BioPtr text(BIO_new(BIO_s_mem()));
  X509_CRL_print_ex(text.get(), crl.get(), XN_FLAG_RFC2253);
  char* p = nullptr;
  const long len = BIO_get_mem_data(text.get(), &p);
  out << "X.509 CRL\n" << std::string(p, static_cast<size_t>(len));
  return kExitAccepted;
}

}  // namespace

int RunInspect(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  static constexpr const char* kUsage =
      "usage: pvattest inspect FILE\n"
      "Prints every field of an SNP report, TDX quote, Azure HCL report, certificate table,\n"
      "certificate, CRL or JSON document (recognised by content), without trust decisions.\n";
  auto args = Args::Parse(argv, {}, {});
  if (args.ok() && PrintHelpIfRequested(*args, kUsage, out)) return kExitAccepted;
  if (!args.ok() || args->positional().size() != 1) {
    err << kUsage;
    return kExitUnusable;
  }
  const std::string& path = args->positional()[0];
  auto data = ReadFileBytes(path);
  if (!data.ok()) {
    err << "pvattest: " << data.status().message() << "\n";
    return kExitUnusable;
  }

  if (LooksLikeSnpReport(*data)) {
    auto report = snp::ParseSnpReport(snp::SnpReportPrefix(*data));
    if (!report.ok()) {
      err << "pvattest: " << path << ": " << report.status().message() << "\n";
      return kExitUnusable;
    }
    out << path << ": AMD SEV-SNP attestation report, version " << report->version << "\n";
    auto fields = snp::DescribeSnpReport(*report);
    const EvidenceLength length = snp::SnpReportLength(*data);
    fields.emplace_back("TRAILING_BYTES", absl::StrCat(length.trailing));
    fields.emplace_back("TRAILING_BYTES.ALL_ZERO", length.trailing_all_zero ? "true" : "false");
    PrintFields(fields, out);
    return kExitAccepted;
  }

  if (hcl::LooksLikeHclReport(*data)) {
    auto h = hcl::ParseHclReport(*data);
    if (!h.ok()) {
      err << "pvattest: " << path << ": " << h.status().message() << "\n";
      return kExitUnusable;
    }
    out << path << ": Azure HCL report ("
        << (h->type == hcl::HclReportType::kSnp ? "SEV-SNP report" : "TDX TDREPORT") << ")\n";
    auto fields = hcl::DescribeHclReport(*h);
    fields.emplace_back("HCL.RUNTIME_CLAIMS_BINDING", hcl::CheckRuntimeClaimsBinding(*h));
    if (h->type == hcl::HclReportType::kSnp) {
      auto report = snp::ParseSnpReport(h->hardware_report);
      if (!report.ok()) {
        err << "pvattest: " << path << ": inner " << report.status().message() << "\n";
        return kExitUnusable;
      }
      for (auto& f : snp::DescribeSnpReport(*report)) {
        fields.emplace_back("SNP." + f.first, std::move(f.second));
      }
    } else {
      fields.emplace_back("TDREPORT.HASHES", hcl::CheckTdReportHashes(h->hardware_report));
      for (auto& f : hcl::DescribeTdReport(h->hardware_report, "TDREPORT.")) {
        fields.push_back(std::move(f));
      }
    }
    PrintFields(fields, out);
    return kExitAccepted;
  }

  if (LooksLikeTdxQuote(*data) || LooksLikeHexQuote(*data)) {
    auto fields = InspectTdxQuote(path);
    if (!fields.ok()) {
      err << "pvattest: " << path << ": " << fields.status().message() << "\n";
      return kExitUnusable;
    }
    out << path << ": Intel TDX quote\n";
    PrintFields(*fields, out);
    return kExitAccepted;
  }

  if (auto entries = snp::ParseCertTable(*data); entries.ok() && !entries->empty()) {
    out << path << ": GHCB extended-report certificate table, " << entries->size() << " entries\n";
    for (size_t i = 0; i < entries->size(); ++i) {
      const auto& e = (*entries)[i];
      out << "entry " << i << ": GUID " << snp::GuidToString(e.guid) << " ("
          << snp::CertTableKindName(e.kind) << "), offset 0x" << std::hex << e.offset
          << ", length 0x" << e.length << std::dec << ", " << (LooksLikePem(e.data) ? "PEM" : "DER")
          << "\n";
      auto certs = ParseCertificates(e.data, absl::StrCat("entry ", i));
      if (!certs.ok()) {
        out << "  (not a certificate: " << certs.status().message() << ")\n";
        continue;
      }
      for (const auto& cert : *certs) PrintCertificate(cert.get(), out);
    }
    return kExitAccepted;
  }

  if (auto certs = ParseCertificates(*data, path); certs.ok()) {
    out << path << ": " << certs->size() << " X.509 certificate(s)\n";
    for (const auto& cert : *certs) PrintCertificate(cert.get(), out);
    return kExitAccepted;
  }
  DrainOpenSslErrors();

  if (InspectCrl(*data, out) == kExitAccepted) return kExitAccepted;

  const auto json = nlohmann::ordered_json::parse(data->begin(), data->end(), nullptr, false);
  if (!json.is_discarded()) {
    out << path << ": JSON document\n" << json.dump(2) << "\n";
    return kExitAccepted;
  }

  err << "pvattest: " << path
      << ": not an SNP report, TDX quote, certificate table, certificate, CRL or JSON\n";
  return kExitUnusable;
}

}  // namespace pv::attest::cli
