// What this host can run: SVM under QEMU TCG wherever QEMU is installed; QEMU/KVM when KVM
// offers nested virtualisation; SEV-SNP / TDX detected from the KVM module parameters.
#ifndef PV_HOST_AGENT_CAPABILITIES_H_
#define PV_HOST_AGENT_CAPABILITIES_H_

#include <string>

#include "absl/status/status.h"
#include "pv/v1/partition_manager.pb.h"

namespace pv::agent {

// Probes the host (runs `<qemu> --version`, reads /dev/kvm and /sys/module/kvm_*).
pv::v1::CapabilitiesResponse ProbeCapabilities(const std::string& qemu_binary);

// OK if `platform` is available per `caps`, else UNAVAILABLE naming the platform and why.
absl::Status CheckPlatform(const pv::v1::CapabilitiesResponse& caps, pv::v1::Platform platform);

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_CAPABILITIES_H_
