// Conformance: every launch digest published in ../shared/vectors/measure/sev-snp-measure
// (virtee/sev-snp-measure's test suite), recomputed by attest/measure from the cases' inputs and
// the OVMF / SVSM fixtures, read in place. One test per case, plus the error cases.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "attest/common/bytes.h"
#include "attest/measure/ovmf_launch.h"

namespace pv::attest::measure {
namespace {

const std::string kDir = std::string(PV_VECTORS_DIR) + "/measure/sev-snp-measure/";

nlohmann::json LoadCases() {
  std::ifstream f(kDir + "cases.json");
  return nlohmann::json::parse(f);
}

Bytes ReadInput(const nlohmann::json& v) {
  if (v.is_null() || v.get<std::string>() == "/dev/null") return {};
  absl::StatusOr<Bytes> b = ReadFileBytes(kDir + v.get<std::string>(), 64 << 20);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : Bytes{};
}

SevMode ModeOf(const std::string& m) {
  if (m == "sev") return SevMode::kSev;
  if (m == "seves") return SevMode::kSevEs;
  if (m == "snp:svsm") return SevMode::kSnpSvsm;
  return SevMode::kSnp;
}

VmmType VmmOf(const std::string& v) {
  if (v == "EC2") return VmmType::kEc2;
  if (v == "GCE") return VmmType::kGce;
  return VmmType::kQemu;
}

struct Prepared {
  OvmfImage ovmf;
  std::optional<OvmfImage> svsm;
  OvmfLaunchInputs in;
};

absl::StatusOr<Prepared> Prepare(const nlohmann::json& c) {
  absl::StatusOr<Bytes> ovmf_bytes =
      ReadFileBytes(kDir + c["ovmf_file"].get<std::string>(), 64 << 20);
  if (!ovmf_bytes.ok()) return ovmf_bytes.status();
  absl::StatusOr<OvmfImage> ovmf = OvmfImage::Parse(*ovmf_bytes);
  if (!ovmf.ok()) return ovmf.status();
  Prepared p{*std::move(ovmf), std::nullopt, {}};
  p.in.mode = ModeOf(c["mode"]);
  p.in.vmm = VmmOf(c.value("vmm_type", "QEMU"));
  p.in.vcpus = c["vcpus"];
  p.in.guest_features = c.value("guest_features", 0);
  if (c.contains("vcpu_sig") && !c["vcpu_sig"].is_null()) {
    p.in.vcpu_sig = c["vcpu_sig"];
  } else if (c.contains("vcpu_family")) {
    p.in.vcpu_sig = CpuSignature(c["vcpu_family"], c["vcpu_model"], c["vcpu_stepping"]);
  }
  if (c.contains("kernel") && !c["kernel"].is_null()) {
    std::string append = c.contains("append") && !c["append"].is_null() ? c["append"] : "";
    p.in.kernel = HashKernelInputs(ReadInput(c["kernel"]),
                                   ReadInput(c.value("initrd", nlohmann::json())), append);
  }
  if (c.contains("snp_ovmf_hash") && !c["snp_ovmf_hash"].is_null()) {
    absl::StatusOr<Bytes> h = HexDecode(c["snp_ovmf_hash"].get<std::string>());
    if (!h.ok() || h->size() != 48) return absl::InvalidArgumentError("bad snp_ovmf_hash");
    Sha384 seed;
    std::copy(h->begin(), h->end(), seed.begin());
    p.in.snp_ovmf_hash = seed;
  }
  if (c.contains("svsm_file") && !c["svsm_file"].is_null()) {
    absl::StatusOr<Bytes> svsm_bytes =
        ReadFileBytes(kDir + c["svsm_file"].get<std::string>(), 64 << 20);
    if (!svsm_bytes.ok()) return svsm_bytes.status();
    const uint64_t end = p.ovmf.gpa() - c.value("ovmf_vars_size", uint64_t{0});
    absl::StatusOr<OvmfImage> svsm = OvmfImage::Parse(*svsm_bytes, end);
    if (!svsm.ok()) return svsm.status();
    p.svsm = *std::move(svsm);
  }
  return p;
}

class SevSnpMeasureCase : public ::testing::TestWithParam<std::string> {};

nlohmann::json FindCase(const std::string& key, const std::string& id) {
  const nlohmann::json all = LoadCases();
  for (const auto& c : all[key]) {
    if (c["id"] == id) return c;
  }
  return {};
}

TEST_P(SevSnpMeasureCase, DigestMatchesPublishedValue) {
  nlohmann::json c = FindCase("cases", GetParam());
  ASSERT_FALSE(c.is_null());
  absl::StatusOr<Prepared> p = Prepare(c);
  ASSERT_TRUE(p.ok()) << p.status();
  p->in.ovmf = &p->ovmf;
  p->in.svsm = p->svsm ? &*p->svsm : nullptr;
  absl::StatusOr<std::vector<uint8_t>> digest = OvmfLaunchDigest(p->in);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(HexEncode(*digest), c["expected_digest"].get<std::string>());
  if (c.contains("expected_ovmf_hash")) {
    SnpLaunchDigest ovmf_only;
    ASSERT_TRUE(ovmf_only.AddNormalRange(p->ovmf.gpa(), p->ovmf.data()).ok());
    EXPECT_EQ(HexEncode(ovmf_only.digest()), c["expected_ovmf_hash"].get<std::string>());
  }
}

std::vector<std::string> CaseIds(const std::string& key) {
  std::vector<std::string> ids;
  const nlohmann::json all = LoadCases();
  for (const auto& c : all[key]) ids.push_back(c["id"]);
  return ids;
}

INSTANTIATE_TEST_SUITE_P(Vectors, SevSnpMeasureCase, ::testing::ValuesIn(CaseIds("cases")),
                         [](const auto& info) { return info.param; });

class SevSnpMeasureErrorCase : public ::testing::TestWithParam<std::string> {};

TEST_P(SevSnpMeasureErrorCase, RefusedWithThePublishedReason) {
  nlohmann::json c = FindCase("error_cases", GetParam());
  ASSERT_FALSE(c.is_null());
  absl::StatusOr<Prepared> p = Prepare(c);
  ASSERT_TRUE(p.ok()) << p.status();
  p->in.ovmf = &p->ovmf;
  absl::StatusOr<std::vector<uint8_t>> digest = OvmfLaunchDigest(p->in);
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.status().message(), c["expected_error"].get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(Vectors, SevSnpMeasureErrorCase,
                         ::testing::ValuesIn(CaseIds("error_cases")),
                         [](const auto& info) { return info.param; });

TEST(SevSnpMeasureVectors, AllTwentyThreeCasesPresent) {
  EXPECT_EQ(CaseIds("cases").size(), 23u);
  EXPECT_EQ(CaseIds("error_cases").size(), 3u);
}

TEST(CpuSignature, MatchesPublishedExamples) {
  const nlohmann::json all = LoadCases();
  for (const auto& e : all["other_facts"]["cpu_sig_examples"]) {
    EXPECT_EQ(CpuSignature(e["family"], e["model"], e["stepping"]), e["sig"].get<uint32_t>());
  }
}

}  // namespace
}  // namespace pv::attest::measure
