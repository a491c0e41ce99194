#include "attest/tdx/tcb_eval.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/quote.h"

namespace pv::attest::tdx {
namespace {

void AppendAdvisories(std::vector<std::string>& out, const std::vector<std::string>& add) {
  for (const auto& a : add) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
}

void MinDate(std::string& date, const std::string& other) {
  // ISO-8601 UTC strings of one format order lexicographically.
  if (date.empty() || (!other.empty() && other < date)) date = other;
}

std::string Mismatch(absl::string_view field, absl::string_view seen, absl::string_view expected) {
  return absl::StrCat(field, "-mismatch seen=", HexEncode(seen), " expected=", HexEncode(expected));
}

}  // namespace

std::string ConvergeStatus(const std::string& platform, const std::string& other) {
  if (other == "Revoked") return "Revoked";
  if (other == kTcbNotSupported) return std::string(kTcbNotSupported);
  if (other == "OutOfDate") {
    if (platform == "UpToDate" || platform == "SWHardeningNeeded") return "OutOfDate";
    if (platform == "ConfigurationNeeded" || platform == "ConfigurationAndSWHardeningNeeded") {
      return "OutOfDateConfigurationNeeded";
    }
  }
  return platform;
}

QeIdentityResult EvaluateQeIdentity(const QeIdentity& id, absl::string_view qe_report) {
  QeIdentityResult r;
  using Qe = QeReportLayout;
  // MISCSELECT is a little-endian u32 in the report and a big-endian hex number in the JSON.
  const uint32_t misc = ReadLe32(qe_report, Qe::kMiscSelect);
  auto be32 = [](absl::string_view b) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24) |
           (static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 8) |
           static_cast<uint32_t>(static_cast<uint8_t>(b[3]));
  };
  const uint32_t misc_mask = be32(id.miscselect_mask);
  if ((misc & misc_mask) != (be32(id.miscselect) & misc_mask)) {
    r.failure = absl::StrFormat("miscselect-mismatch seen=%08x expected=%08x mask=%08x", misc,
                                be32(id.miscselect), misc_mask);
    return r;
  }
  absl::string_view attrs = qe_report.substr(Qe::kAttributes, 16);
  for (size_t i = 0; i < 16; ++i) {
    uint8_t m = static_cast<uint8_t>(id.attributes_mask[i]);
    if ((static_cast<uint8_t>(attrs[i]) & m) != (static_cast<uint8_t>(id.attributes[i]) & m)) {
      r.failure = absl::StrCat(Mismatch("attributes", attrs, id.attributes),
                               " mask=", HexEncode(id.attributes_mask));
      return r;
    }
  }
  absl::string_view mrsigner = qe_report.substr(Qe::kMrSigner, 32);
  if (mrsigner != id.mrsigner) {
    r.failure = Mismatch("mrsigner", mrsigner, id.mrsigner);
    return r;
  }
  const uint16_t prodid = ReadLe16(qe_report, Qe::kIsvProdId);
  if (prodid != id.isvprodid) {
    r.failure = absl::StrCat("isvprodid-mismatch seen=", prodid, " expected=", id.isvprodid);
    return r;
  }
  const uint16_t isvsvn = ReadLe16(qe_report, Qe::kIsvSvn);
  for (const auto& level : id.levels) {
    if (level.isvsvn <= isvsvn) {
      r.status = level.status;
      r.tcb_date = level.tcb_date;
      r.advisory_ids = level.advisory_ids;
      return r;
    }
  }
  r.status = std::string(kTcbNotSupported);
  return r;
}

TcbEvaluation EvaluateTdxTcb(const TcbInfo& info, const PckExtensions& pck,
                             absl::string_view td_body, const QeIdentityResult* qe) {
  TcbEvaluation ev;
  if (info.fmspc != pck.fmspc) {
    ev.failure = Mismatch("fmspc", pck.fmspc, info.fmspc);
    return ev;
  }
  if (info.pceid != pck.pceid) {
    ev.failure = Mismatch("pceid", pck.pceid, info.pceid);
    return ev;
  }
  absl::string_view tee_tcb_svn = td_body.substr(TdBodyLayout::kTeeTcbSvn, 16);
  const uint8_t module_minor = static_cast<uint8_t>(tee_tcb_svn[0]);
  const uint8_t module_major = static_cast<uint8_t>(tee_tcb_svn[1]);

  // TDX module identity: MRSIGNERSEAM and SEAM_ATTRIBUTES under the mask.
  const TdxModuleIdentity* module = nullptr;
  std::string module_mrsigner = info.module_mrsigner;
  std::string module_attributes = info.module_attributes;
  std::string module_mask = info.module_attributes_mask;
  if (module_major > 0 && !info.module_identities.empty()) {
    const std::string want = absl::StrFormat("TDX_%02X", module_major);
    for (const auto& m : info.module_identities) {
      if (m.id == want) module = &m;
    }
    if (module == nullptr) {
      ev.failure = absl::StrCat("tdx-module-mismatch no tdxModuleIdentities entry ", want,
                                " for TEE_TCB_SVN[1]=", module_major);
      return ev;
    }
    module_mrsigner = module->mrsigner;
    module_attributes = module->attributes;
    module_mask = module->attributes_mask;
  }
  absl::string_view mrsignerseam = td_body.substr(TdBodyLayout::kMrSignerSeam, 48);
  if (mrsignerseam != module_mrsigner) {
    ev.failure = Mismatch("tdx-module-mrsigner", mrsignerseam, module_mrsigner);
    return ev;
  }
  absl::string_view seam_attributes = td_body.substr(TdBodyLayout::kSeamAttributes, 8);
  for (size_t i = 0; i < 8; ++i) {
    uint8_t m = static_cast<uint8_t>(module_mask[i]);
    if ((static_cast<uint8_t>(seam_attributes[i]) & m) !=
        (static_cast<uint8_t>(module_attributes[i]) & m)) {
      ev.failure = Mismatch("tdx-module-attributes", seam_attributes, module_attributes);
      return ev;
    }
  }

  // Platform level: the first (highest) level the platform meets on every component.
  const PlatformTcbLevel* platform = nullptr;
  const size_t first_tdx_component = module_major > 0 ? 2 : 0;
  for (const auto& level : info.levels) {
    bool ok = pck.pcesvn >= level.pcesvn;
    for (size_t i = 0; ok && i < 16; ++i) ok = pck.tcb_components[i] >= level.sgx_components[i];
    for (size_t i = first_tdx_component; ok && i < 16; ++i) {
      ok = static_cast<uint8_t>(tee_tcb_svn[i]) >= level.tdx_components[i];
    }
    if (ok) {
      platform = &level;
      break;
    }
  }
  if (platform == nullptr) {
    ev.platform_status = ev.status = std::string(kTcbNotSupported);
    return ev;
  }
  ev.platform_status = platform->status;
  ev.status = platform->status;
  ev.tcb_date = platform->tcb_date;
  AppendAdvisories(ev.advisory_ids, platform->advisory_ids);

  if (module != nullptr) {
    const IsvSvnTcbLevel* mlevel = nullptr;
    for (const auto& level : module->levels) {
      if (level.isvsvn <= module_minor) {
        mlevel = &level;
        break;
      }
    }
    ev.module_status = mlevel ? mlevel->status : std::string(kTcbNotSupported);
    ev.status = ConvergeStatus(ev.status, ev.module_status);
    if (mlevel != nullptr) {
      MinDate(ev.tcb_date, mlevel->tcb_date);
      AppendAdvisories(ev.advisory_ids, mlevel->advisory_ids);
    }
  }
  if (qe != nullptr && qe->failure.empty()) {
    ev.status = ConvergeStatus(ev.status, qe->status);
    MinDate(ev.tcb_date, qe->tcb_date);
    AppendAdvisories(ev.advisory_ids, qe->advisory_ids);
  }
  return ev;
}

}  // namespace pv::attest::tdx
