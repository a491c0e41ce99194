// `pvctl launch --attest`: the attested launch's timeline, from the create call to the guest
// confirming its secret's digest. Times come from pvctl's clock (create, running, the guest's
// console line) and from the agent's KBS relay (auth, attested, released: the moments the
// relay saw the KBS's answers; same host clock). The secret itself never reaches pvctl: the
// guest prints a SHA-256 it computed, which is compared with --expect-sha256.
#ifndef PV_PVCTL_LAUNCH_TIMELINE_H_
#define PV_PVCTL_LAUNCH_TIMELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "pv/v1/partition_manager.pb.h"

namespace pv::pvctl {

class LaunchTimeline {
 public:
  LaunchTimeline(bool enabled, std::string expected_sha256);
  bool enabled() const { return enabled_; }
  void Created();
  void Running(const pv::v1::Partition& started);
  void Console(const std::string& chunk);  // looks for the guest's "sha256 <hex>" line
  // Prints the timeline on stderr.
  void Finish(const pv::v1::Partition& final_state);
  // {"partition": <partition_json>, "timeline": {...}}
  std::string Json(const std::string& partition_json) const;
  // The guest reported a digest (and it matches --expect-sha256 when given).
  bool confirmed() const;

 private:
  struct Step {
    std::string name;
    int64_t at_ms;  // since the create call began; -1 = did not happen
    std::string detail;
  };
  bool enabled_;
  std::string expected_;
  int64_t t0_ms_;
  std::vector<Step> steps_;
  std::string console_;  // the tail of the console, for the digest line
  std::string guest_sha256_;
  int64_t confirmed_ms_ = -1;
  std::string guest_status_;
  pv::v1::AttestationStatus attestation_;
  std::string measurement_;
};

}  // namespace pv::pvctl

#endif  // PV_PVCTL_LAUNCH_TIMELINE_H_
