#include "capabilities.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "fblite/exit_codec.h"
#include "ring/ring_layout.h"

namespace pv::agent {

namespace {

std::string ReadParam(const std::string& path) {
  std::ifstream in(path);
  std::string value;
  std::getline(in, value);
  return value;
}

bool ParamOn(const std::string& value) {
  return value == "Y" || value == "1" || value == "y";
}

std::string QemuVersion(const std::string& qemu) {
  std::string cmd = absl::StrCat("'", qemu, "' --version 2>/dev/null");
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  std::array<char, 256> line{};
  std::string first;
  if (std::fgets(line.data(), line.size(), p) != nullptr) first = line.data();
  ::pclose(p);
  return std::string(absl::StripTrailingAsciiWhitespace(first));
}

void Add(pv::v1::CapabilitiesResponse* caps, pv::v1::Platform platform, bool available,
         std::string detail) {
  pv::v1::PlatformSupport* s = caps->add_platforms();
  s->set_platform(platform);
  s->set_available(available);
  s->set_detail(std::move(detail));
}

}  // namespace

pv::v1::CapabilitiesResponse ProbeCapabilities(const std::string& qemu_binary) {
  pv::v1::CapabilitiesResponse caps;
  caps.set_agent_version("0.1.0");
  caps.set_max_vcpus(1);  // the paravisor runs vCPU 0 only (the rings exist for kMaxVcpus)
  caps.set_exit_proxy_version(proxy::kProtocolVersion);
  const std::string version = QemuVersion(qemu_binary);
  caps.set_qemu_version(version);
  const bool have_qemu = !version.empty();
  Add(&caps, pv::v1::PLATFORM_SVM_TCG, have_qemu,
      have_qemu ? "QEMU TCG with -cpu qemu64,+svm,+npt"
                : absl::StrCat(qemu_binary, " not found or not runnable"));

  const bool kvm = ::access("/dev/kvm", R_OK | W_OK) == 0;
  const bool nested_amd = ParamOn(ReadParam("/sys/module/kvm_amd/parameters/nested"));
  const bool nested_intel = ParamOn(ReadParam("/sys/module/kvm_intel/parameters/nested"));
  const bool nested = kvm && (nested_amd || nested_intel);
  Add(&caps, pv::v1::PLATFORM_KVM_NESTED, have_qemu && nested,
      !kvm     ? "/dev/kvm not accessible"
      : nested ? "KVM offers nested virtualisation"
               : "KVM present but nested virtualisation is off");

  const bool snp = kvm && ParamOn(ReadParam("/sys/module/kvm_amd/parameters/sev_snp"));
  Add(&caps, pv::v1::PLATFORM_SEV_SNP, false,
      snp ? "SEV-SNP detected; launching SNP partitions is not implemented by this agent yet"
          : "no SEV-SNP support in KVM on this host");
  const bool tdx = kvm && ParamOn(ReadParam("/sys/module/kvm_intel/parameters/tdx"));
  Add(&caps, pv::v1::PLATFORM_TDX, false,
      tdx ? "TDX detected; launching TDX partitions is not implemented by this agent yet"
          : "no TDX support in KVM on this host");
  return caps;
}

absl::Status CheckPlatform(const pv::v1::CapabilitiesResponse& caps, pv::v1::Platform platform) {
  for (const pv::v1::PlatformSupport& s : caps.platforms()) {
    if (s.platform() != platform) continue;
    if (s.available()) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat("spec.platform ", pv::v1::Platform_Name(platform),
                                               " is not available on this host: ", s.detail()));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("spec.platform ", static_cast<int>(platform), " is not a known platform"));
}

}  // namespace pv::agent
