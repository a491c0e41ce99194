#include "launch_timeline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace pv::pvctl {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

LaunchTimeline::LaunchTimeline(bool enabled, std::string expected_sha256)
    : enabled_(enabled), expected_(std::move(expected_sha256)), t0_ms_(NowMs()) {}

void LaunchTimeline::Created() {
  if (enabled_) steps_.push_back({"partition created", NowMs() - t0_ms_, ""});
}

void LaunchTimeline::Running(const pv::v1::Partition& started) {
  if (!enabled_) return;
  measurement_ = started.measurement().snp_launch_digest();
  if (started.spec().tee() == pv::v1::TEE_TDX) measurement_ = started.measurement().tdx_mrtd();
  steps_.push_back({"measured launch done, QEMU running", NowMs() - t0_ms_,
                    absl::StrCat("launch measurement ", measurement_, " (",
                                 started.measurement().platform(), ")")});
}

void LaunchTimeline::Console(const std::string& chunk) {
  if (!enabled_ || confirmed_ms_ >= 0) return;
  console_ += chunk;
  if (console_.size() > 8192) console_.erase(0, console_.size() - 4096);
  for (const char* marker : {"GET_SECRET denied", "GET_SECRET unavailable", "GET_SECRET failed"}) {
    const size_t at = console_.find(marker);
    if (at != std::string::npos && guest_status_.empty()) {
      const size_t end = console_.find('\n', at);
      if (end != std::string::npos) guest_status_ = console_.substr(at, end - at);
    }
  }
  const size_t at = console_.find("sha256 ");
  if (at == std::string::npos || console_.size() < at + 7 + 64) return;
  guest_sha256_ = console_.substr(at + 7, 64);
  if (!IsHex64(guest_sha256_)) {
    guest_sha256_.clear();
    return;
  }
  confirmed_ms_ = NowMs() - t0_ms_;
}

void LaunchTimeline::Finish(const pv::v1::Partition& final_state) {
  if (!enabled_) return;
  attestation_ = final_state.attestation();
  const pv::v1::AttestationStatus& a = attestation_;
  auto at = [&](int64_t unix_ms) { return unix_ms > 0 ? unix_ms - t0_ms_ : -1; };
  steps_.push_back({"KBS challenge (auth)", at(a.auth_unix_ms()), ""});
  std::vector<std::string> checks;
  for (const auto& [k, v] : a.checks()) checks.push_back(absl::StrCat(k, "=", v));
  std::sort(checks.begin(), checks.end());
  steps_.push_back(
      {a.verdict() == "accept" ? "evidence verified by the KBS" : "evidence appraised by the KBS",
       at(a.attested_unix_ms()),
       absl::StrCat("verdict ", a.verdict().empty() ? "(none)" : a.verdict(),
                    checks.empty() ? "" : "; checks ", absl::StrJoin(checks, ", "),
                    a.reason().empty() ? "" : "; ", a.reason())});
  steps_.push_back(
      {"secret released (JWE to the paravisor's key)", at(a.released_unix_ms()),
       absl::StrCat(a.resources_released(), " released, ", a.resources_denied(), " refused")});
  std::string confirm =
      guest_sha256_.empty() ? guest_status_ : absl::StrCat("sha256 ", guest_sha256_);
  if (!expected_.empty() && !guest_sha256_.empty()) {
    confirm += guest_sha256_ == expected_ ? " = the stored resource's digest"
                                          : absl::StrCat(" != expected ", expected_);
  }
  steps_.push_back({"guest confirms its secret's digest", confirmed_ms_, confirm});
  (void)std::fprintf(stderr,
                     "--- attested launch timeline (simulated secure processor: a test "
                     "platform, not a trust anchor) ---\n");
  for (const Step& s : steps_) {
    if (s.at_ms >= 0) {
      (void)std::fprintf(stderr, "%8.3f s  %s%s%s\n", static_cast<double>(s.at_ms) / 1000.0,
                         s.name.c_str(), s.detail.empty() ? "" : ": ", s.detail.c_str());
    } else {
      (void)std::fprintf(stderr, "     --    %s: did not happen%s%s\n", s.name.c_str(),
                         s.detail.empty() ? "" : "; ", s.detail.c_str());
    }
  }
}

bool LaunchTimeline::confirmed() const {
  return confirmed_ms_ >= 0 && (expected_.empty() || guest_sha256_ == expected_);
}

std::string LaunchTimeline::Json(const std::string& partition_json) const {
  std::vector<std::string> steps;
  for (const Step& s : steps_) {
    steps.push_back(absl::StrCat("{\"step\":", JsonString(s.name), ",\"at_ms\":", s.at_ms,
                                 ",\"detail\":", JsonString(s.detail), "}"));
  }
  return absl::StrCat(
      "{\"partition\":", partition_json, ",\"timeline\":{\"steps\":[", absl::StrJoin(steps, ","),
      "],\"launch_measurement\":", JsonString(measurement_),
      ",\"verdict\":", JsonString(attestation_.verdict()),
      ",\"guest_sha256\":", JsonString(guest_sha256_),
      ",\"expected_sha256\":", JsonString(expected_),
      ",\"confirmed\":", confirmed() ? "true" : "false",
      ",\"guest_status\":", JsonString(guest_status_),
      ",\"platform\":\"simulated secure processor (test platform, not a trust anchor)\"}}");
}

}  // namespace pv::pvctl
