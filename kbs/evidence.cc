#include "kbs/evidence.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "attest/snp/snp_report.h"
#include "kbs/base64.h"
#include "kbs/kbs_error.h"

namespace pv::kbs {
namespace {

using attest::Bytes;
using Json = nlohmann::json;

absl::Status Invalid(const std::string& what, const std::string& detail) {
  return KbsError(absl::StatusCode::kInvalidArgument, "InvalidRequest",
                  absl::StrCat("tee-evidence: ", what, ": ", detail));
}

absl::StatusOr<Bytes> ByteString(const Json& v, const std::string& what, size_t max_bytes) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > (max_bytes + 2) / 3 * 4) return Invalid(what, "too large");
    auto b = Base64Decode(s);
    if (!b.ok()) return Invalid(what, std::string(b.status().message()));
    return b;
  }
  if (v.is_binary()) {
    // An integer array the attest parser decoded already (byte_arrays.h): same checks.
    const auto& b = v.get_binary();
    if (b.size() > max_bytes) return Invalid(what, "too large");
    return Bytes(b.begin(), b.end());
  }
  if (v.is_array()) {
    if (v.size() > max_bytes) return Invalid(what, "too large");
    Bytes out;
    out.reserve(v.size());
    for (const auto& e : v) {
      if (!e.is_number_unsigned() || e.get<uint64_t>() > 255) {
        return Invalid(what, "byte array holds a value that is not 0..255");
      }
      out.push_back(static_cast<uint8_t>(e.get<uint64_t>()));
    }
    return out;
  }
  return Invalid(what, "must be a byte array or a base64 string");
}

}  // namespace

absl::StatusOr<SnpEvidence> ParseSnpEvidence(const Json& evidence) {
  SnpEvidence out;
  auto report = evidence.find("attestation_report");
  if (report == evidence.end()) return Invalid("snp", "\"attestation_report\" missing");
  auto bytes = ByteString(*report, "attestation_report", attest::snp::kReportSize);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != attest::snp::kReportSize) {
    return Invalid("attestation_report", absl::StrCat("must be ", attest::snp::kReportSize,
                                                      " bytes, got ", bytes->size()));
  }
  out.report = std::move(*bytes);
  auto chain = evidence.find("cert_chain");
  if (chain == evidence.end() || chain->is_null()) return out;
  if (!chain->is_array() || chain->size() > kMaxCertChainEntries) {
    return Invalid("cert_chain", "must be null or an array of at most 8 entries");
  }
  Bytes intermediate, root;
  for (size_t i = 0; i < chain->size(); ++i) {
    const Json& entry = (*chain)[i];
    const std::string where = absl::StrCat("cert_chain[", i, "]");
    if (!entry.is_object()) return Invalid(where, "must be an object");
    auto type = entry.find("cert_type");
    auto data = entry.find("data");
    if (type == entry.end() || !type->is_string() || data == entry.end()) {
      return Invalid(where, "needs \"cert_type\" and \"data\"");
    }
    auto cert = ByteString(*data, where + ".data", kMaxCertificateBytes);
    if (!cert.ok()) return cert.status();
    const std::string& t = type->get_ref<const std::string&>();
    Bytes* slot = nullptr;
    if (t == "VCEK" || t == "VLEK") {
      slot = &out.vek;
    } else if (t == "ASK" || t == "ASVK") {
      slot = &intermediate;
    } else if (t == "ARK") {
      slot = &root;
    } else {
      continue;  // other table entries (CRL, OEM GUIDs) are not used
    }
    if (!slot->empty()) return Invalid(where, absl::StrCat("second ", t, " certificate"));
    *slot = std::move(*cert);
  }
  out.chain = std::move(intermediate);
  out.chain.insert(out.chain.end(), root.begin(), root.end());
  return out;
}

absl::StatusOr<TdxEvidence> ParseTdxEvidence(const Json& evidence) {
  auto quote = evidence.find("quote");
  if (quote == evidence.end() || !quote->is_string()) {
    return Invalid("tdx", "\"quote\" missing or not a base64 string");
  }
  auto bytes = ByteString(*quote, "quote", kMaxQuoteBytes);
  if (!bytes.ok()) return bytes.status();
  return TdxEvidence{std::move(*bytes)};
}

absl::StatusOr<SampleEvidence> ParseSampleEvidence(const Json& evidence) {
  if (!evidence.is_object()) return Invalid("sample", "must be an object");
  auto svn = evidence.find("svn");
  if (svn == evidence.end() || !svn->is_string() ||
      svn->get_ref<const std::string&>().size() > 64) {
    return Invalid("sample", "\"svn\" missing or not a string of at most 64 characters");
  }
  auto rd = evidence.find("report_data");
  if (rd == evidence.end() || !rd->is_string()) {
    return Invalid("sample", "\"report_data\" missing or not a base64 string");
  }
  auto bytes = ByteString(*rd, "report_data", 64);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != 48 && bytes->size() != 64) {
    return Invalid("report_data", absl::StrCat("must be 48 or 64 bytes, got ", bytes->size()));
  }
  bytes->resize(64, 0);
  return SampleEvidence{svn->get<std::string>(), std::move(*bytes)};
}

}  // namespace pv::kbs
