// File loaders for quotes (binary or hex text), collateral cache directories and Phala
// QuoteCollateralV3 JSON files. Every read is size-limited.
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attest/tdx/hex.h"
#include "attest/tdx/quote.h"
#include "attest/tdx/status_macros.h"
#include "attest/tdx/tdx_verifier.h"

namespace pv::attest::tdx {
namespace {

constexpr size_t kMaxFileSize = 4 << 20;

absl::StatusOr<std::string> ReadFileLimited(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string data;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof(buf));
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxFileSize) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than ", kMaxFileSize, " bytes"));
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return data;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Reads `path` into `out` if it exists; a missing file is not an error.
absl::Status ReadOptional(const std::string& path, std::string& out) {
  if (!Exists(path)) return absl::OkStatus();
  PV_TDX_ASSIGN_OR_RETURN(out, ReadFileLimited(path));
  return absl::OkStatus();
}

bool IsHexText(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isxdigit(static_cast<unsigned char>(c)) && !isspace(static_cast<unsigned char>(c)) &&
        c != 'x' && c != 'X') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> LoadQuoteFile(const std::string& path) {
  PV_TDX_ASSIGN_OR_RETURN(std::string data, ReadFileLimited(path));
  // A binary quote starts with version 4 or 5 as a little-endian u16 (bytes 04 00 / 05 00),
  // which is never hex text; text that is entirely hex digits is decoded.
  if (!IsHexText(data)) return data;
  absl::string_view s = data;
  while (!s.empty() && isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  std::string digits;
  for (char c : s) {
    if (!isspace(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  return HexDecode(digits, path);
}

absl::StatusOr<TdxCollateral> LoadCollateralFromDirectory(const std::string& dir,
                                                          const CollateralKey& key) {
  if (key.fmspc.size() != 12 || !IsHexText(key.fmspc) || key.fmspc.find('x') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("FMSPC \"", key.fmspc, "\" is not 12 hex digits"));
  }
  if (key.ca != "platform" && key.ca != "processor") {
    return absl::InvalidArgumentError(
        absl::StrCat("CA \"", key.ca, "\" must be \"platform\" or \"processor\""));
  }
  std::string fmspc;
  for (char c : key.fmspc) fmspc.push_back(static_cast<char>(tolower(c)));
  TdxCollateral c;
  PV_TDX_RETURN_IF_ERROR(ReadOptional(absl::StrCat(dir, "/tcb/", fmspc, ".json"), c.tcb_info_json));
  PV_TDX_RETURN_IF_ERROR(ReadOptional(absl::StrCat(dir, "/tcb/", fmspc, ".issuer-chain.pem"),
                                      c.tcb_info_issuer_chain_pem));
  PV_TDX_RETURN_IF_ERROR(ReadOptional(absl::StrCat(dir, "/qe/identity.json"), c.qe_identity_json));
  PV_TDX_RETURN_IF_ERROR(ReadOptional(absl::StrCat(dir, "/qe/identity.issuer-chain.pem"),
                                      c.qe_identity_issuer_chain_pem));
  PV_TDX_RETURN_IF_ERROR(ReadOptional(absl::StrCat(dir, "/pckcrl/", key.ca, ".crl"), c.pck_crl));
  PV_TDX_RETURN_IF_ERROR(ReadOptional(absl::StrCat(dir, "/pckcrl/", key.ca, ".issuer-chain.pem"),
                                      c.pck_crl_issuer_chain_pem));
  PV_TDX_RETURN_IF_ERROR(ReadOptional(absl::StrCat(dir, "/rootcrl.crl"), c.root_ca_crl));
  return c;
}

absl::StatusOr<TdxCollateral> LoadPhalaCollateralJson(const std::string& path) {
  PV_TDX_ASSIGN_OR_RETURN(std::string data, ReadFileLimited(path));
  nlohmann::json j = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  auto str = [&](const char* k) -> absl::StatusOr<std::string> {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": missing string member \"", k, "\""));
    }
    return it->get<std::string>();
  };
  // Signed JSON and its hex signature; the inner JSON is verified to be an object (so the
  // wrapping below cannot change its meaning) and its bytes are kept exactly.
  auto wrap = [&](const char* body_key, const char* sig_key,
                  const char* member) -> absl::StatusOr<std::string> {
    PV_TDX_ASSIGN_OR_RETURN(std::string body, str(body_key));
    PV_TDX_ASSIGN_OR_RETURN(std::string sig, str(sig_key));
    if (!nlohmann::json::parse(body, nullptr, false).is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": \"", body_key, "\" is not JSON"));
    }
    PV_TDX_ASSIGN_OR_RETURN(std::string raw_sig, HexDecode(sig, absl::StrCat(path, ".", sig_key)));
    return absl::StrCat("{\"", member, "\":", body, ",\"signature\":\"", HexEncode(raw_sig), "\"}");
  };
  TdxCollateral c;
  PV_TDX_ASSIGN_OR_RETURN(c.tcb_info_json, wrap("tcb_info", "tcb_info_signature", "tcbInfo"));
  PV_TDX_ASSIGN_OR_RETURN(c.qe_identity_json,
                          wrap("qe_identity", "qe_identity_signature", "enclaveIdentity"));
  PV_TDX_ASSIGN_OR_RETURN(c.tcb_info_issuer_chain_pem, str("tcb_info_issuer_chain"));
  PV_TDX_ASSIGN_OR_RETURN(c.qe_identity_issuer_chain_pem, str("qe_identity_issuer_chain"));
  PV_TDX_ASSIGN_OR_RETURN(c.pck_crl_issuer_chain_pem, str("pck_crl_issuer_chain"));
  PV_TDX_ASSIGN_OR_RETURN(std::string pck_crl_hex, str("pck_crl"));
  PV_TDX_ASSIGN_OR_RETURN(c.pck_crl, HexDecode(pck_crl_hex, absl::StrCat(path, ".pck_crl")));
  PV_TDX_ASSIGN_OR_RETURN(std::string root_crl_hex, str("root_ca_crl"));
  PV_TDX_ASSIGN_OR_RETURN(c.root_ca_crl,
                          HexDecode(root_crl_hex, absl::StrCat(path, ".root_ca_crl")));
  return c;
}

}  // namespace pv::attest::tdx
