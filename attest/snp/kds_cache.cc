#include "attest/snp/kds_cache.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pv::attest::snp {
namespace {

bool IsVlek(const SnpReport& report) {
  return report.signing_key() == SigningKey::kVlek;
}

absl::Status WriteFileAtomically(const std::string& path, ByteSpan data) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat(path, ": ", ec.message()));
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    if (!out) return absl::InternalError(absl::StrCat(tmp, ": write failed"));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat(path, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

std::string KdsChainPath(const std::string& dir, Product product, bool vlek) {
  return absl::StrCat(dir, "/", vlek ? "vlek" : "vcek", "/v1/", ProductName(product),
                      "/cert_chain.pem");
}

std::string KdsCrlPath(const std::string& dir, Product product, bool vlek) {
  return absl::StrCat(dir, "/", vlek ? "vlek" : "vcek", "/v1/", ProductName(product), "/crl.der");
}

std::string KdsVekPath(const std::string& dir, Product product, const SnpReport& report) {
  if (product == Product::kUnknown) return "";
  const std::string tcb = absl::StrFormat("%016x", report.reported_tcb);
  if (IsVlek(report)) {
    return absl::StrCat(dir, "/vlek/v1/", ProductName(product), "/", tcb, ".der");
  }
  const size_t hwid_len = product == Product::kTurin ? 8 : report.chip_id.size();
  const std::string hwid = HexEncode(ByteSpan(report.chip_id.data(), hwid_len));
  return absl::StrCat(dir, "/vcek/v1/", ProductName(product), "/", hwid, "/", tcb, ".der");
}

absl::StatusOr<KdsCacheEntry> LookupKdsCache(const std::string& dir, const SnpReport& report) {
  std::vector<Product> candidates;
  const Product cpuid = report.has_cpuid()
                            ? ProductFromCpuid(report.cpuid_fam_id, report.cpuid_mod_id)
                            : Product::kUnknown;
  if (cpuid != Product::kUnknown) {
    candidates.push_back(cpuid);
  } else {
    candidates = {Product::kMilan, Product::kGenoa, Product::kTurin};
  }
  std::string tried;
  for (Product product : candidates) {
    KdsCacheEntry entry;
    entry.product = product;
    entry.vek_path = KdsVekPath(dir, product, report);
    entry.chain_path = KdsChainPath(dir, product, IsVlek(report));
    std::error_code ec;
    if (!std::filesystem::is_regular_file(entry.vek_path, ec) ||
        !std::filesystem::is_regular_file(entry.chain_path, ec)) {
      absl::StrAppend(&tried, " ", entry.vek_path, " + ", entry.chain_path);
      continue;
    }
    auto vek = ReadFileBytes(entry.vek_path);
    if (!vek.ok()) return vek.status();
    auto chain = ReadFileBytes(entry.chain_path);
    if (!chain.ok()) return chain.status();
    entry.vek = std::move(*vek);
    entry.chain = std::move(*chain);
    const std::string crl_path = KdsCrlPath(dir, product, IsVlek(report));
    if (std::filesystem::is_regular_file(crl_path, ec)) {
      auto crl = ReadFileBytes(crl_path);
      if (!crl.ok()) return crl.status();
      entry.crl_path = crl_path;
      entry.crl = std::move(*crl);
    }
    return entry;
  }
  return absl::NotFoundError(absl::StrCat(
      "collateral cache ", dir, " has no VEK and chain for this report; looked for:", tried));
}

absl::Status StoreInKdsCache(const std::string& dir, const SnpReport& report, Product product,
                             ByteSpan vek_der, ByteSpan chain_pem, ByteSpan crl) {
  if (product == Product::kUnknown) {
    return absl::InvalidArgumentError("cannot store collateral for an unknown product");
  }
  if (absl::Status s = WriteFileAtomically(KdsVekPath(dir, product, report), vek_der); !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteFileAtomically(KdsChainPath(dir, product, IsVlek(report)), chain_pem);
      !s.ok()) {
    return s;
  }
  if (crl.empty()) return absl::OkStatus();
  return WriteFileAtomically(KdsCrlPath(dir, product, IsVlek(report)), crl);
}

}  // namespace pv::attest::snp
