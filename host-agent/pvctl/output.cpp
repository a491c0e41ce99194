#include "output.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace pv::pvctl {

namespace {
std::string StripPrefix(std::string name, const std::string& prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}
std::string Time(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(unix_ms),
                          absl::LocalTimeZone());
}
std::string Uptime(const pv::v1::Partition& p) {
  if (p.started_unix_ms() <= 0) return "-";
  int64_t end = p.stopped_unix_ms() > 0 ? p.stopped_unix_ms() : absl::ToUnixMillis(absl::Now());
  return absl::StrFormat("%.1fs", std::max<int64_t>(0, end - p.started_unix_ms()) / 1000.0);
}
}  // namespace

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

bool FromJson(const std::string& json, google::protobuf::Message* message, std::string* error) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) *error = std::string(status.message());
  return status.ok();
}

std::string ErrorJson(int code, const std::string& message) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const char* name = code >= 0 && code < 17 ? kNames[code] : "UNKNOWN";
  // Through the JSON printer of a protobuf string value: correct escaping for any bytes.
  google::protobuf::Value text;
  text.set_string_value(message);
  std::string quoted;
  (void)google::protobuf::util::MessageToJsonString(text, &quoted);
  return absl::StrCat("{\"error\": {\"code\": \"", name, "\", \"code_number\": ", code,
                      ", \"message\": ", quoted, "}}");
}

bool ReadSmallFile(const std::string& path, size_t max_bytes, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  out->clear();
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
    out->append(buf, n);
    if (out->size() > max_bytes) {
      std::fclose(f);
      return false;
    }
  }
  std::fclose(f);
  return true;
}

std::string StateName(pv::v1::PartitionState state) {
  return StripPrefix(pv::v1::PartitionState_Name(state), "PARTITION_STATE_");
}
std::string PlatformName(pv::v1::Platform platform) {
  std::string name = StripPrefix(pv::v1::Platform_Name(platform), "PLATFORM_");
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char c) { return c == '_' ? '-' : static_cast<char>(std::tolower(c)); });
  return name;
}
std::string EventTypeName(pv::v1::EventType type) {
  return StripPrefix(pv::v1::EventType_Name(type), "EVENT_TYPE_");
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

void PrintPartitionTable(const std::vector<pv::v1::Partition>& partitions) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "STATE", "PLATFORM", "VCPUS", "MEMORY", "PID", "UPTIME", "DETAIL"}};
  for (const pv::v1::Partition& p : partitions) {
    std::string detail = p.failure_reason();
    if (detail.empty() && p.state() == pv::v1::PARTITION_STATE_STOPPED && p.has_exit()) {
      detail = p.exit().success() ? "guest exit 0"
                                  : absl::StrCat("qemu status ", p.exit().qemu_status());
    }
    if (detail.size() > 60) detail = detail.substr(0, 57) + "...";
    rows.push_back({p.spec().name(), StateName(p.state()), PlatformName(p.spec().platform()),
                    absl::StrCat(p.spec().vcpus()), absl::StrCat(p.spec().memory_mib(), "M"),
                    p.qemu_pid() > 0 ? absl::StrCat(p.qemu_pid()) : "-", Uptime(p), detail});
  }
  PrintTable(rows);
}

void PrintPartitionDetail(const pv::v1::Partition& p) {
  std::vector<std::vector<std::string>> rows = {
      {"name:", p.spec().name()},
      {"uuid:", p.uuid()},
      {"state:", StateName(p.state())},
      {"platform:", PlatformName(p.spec().platform())},
      {"vcpus:", absl::StrCat(p.spec().vcpus())},
      {"memory:", absl::StrCat(p.spec().memory_mib(), " MiB")},
      {"firmware:", p.spec().firmware_path()},
      {"guest:", p.spec().guest_image_path().empty() ? "-" : p.spec().guest_image_path()},
      {"cmdline:", p.spec().firmware_cmdline().empty() ? "-" : p.spec().firmware_cmdline()},
      {"guest args:", p.spec().guest_cmdline().empty() ? "-" : p.spec().guest_cmdline()},
      {"linux kernel:", p.spec().linux_kernel_path().empty() ? "-" : p.spec().linux_kernel_path()},
      {"linux initrd:", p.spec().linux_initrd_path().empty() ? "-" : p.spec().linux_initrd_path()},
      {"linux append:", p.spec().linux_append().empty() ? "-" : p.spec().linux_append()},
      {"policy:", absl::StrCat(p.spec().policy().debug() ? "debug" : "production",
                               p.spec().policy().suppress_console() ? ", console suppressed"
                                                                    : ", console forwarded")},
      {"qemu pid:", p.qemu_pid() > 0 ? absl::StrCat(p.qemu_pid()) : "-"},
      {"created:", Time(p.created_unix_ms())},
      {"started:", Time(p.started_unix_ms())},
      {"stopped:", Time(p.stopped_unix_ms())},
      {"console log:", p.console_log_path()},
      {"firmware log:", p.firmware_log_path()},
  };
  if (p.spec().tee() != pv::v1::TEE_NONE) {
    rows.push_back({"tee:", absl::StrCat(StripPrefix(pv::v1::Tee_Name(p.spec().tee()), "TEE_"),
                                         " (simulated secure processor, not a trust anchor)")});
    if (p.has_measurement()) {
      rows.push_back({"snp measurement:", p.measurement().snp_launch_digest()});
      rows.push_back({"tdx mrtd:", p.measurement().tdx_mrtd()});
    }
  }
  if (p.has_attestation()) {
    const pv::v1::AttestationStatus& a = p.attestation();
    rows.push_back({"attestation:", absl::StrCat(a.state(), a.verdict().empty() ? "" : " (verdict ",
                                                 a.verdict(), a.verdict().empty() ? "" : ")")});
    if (!a.reason().empty()) rows.push_back({"attestation reason:", a.reason()});
    if (a.resources_released() + a.resources_denied() > 0) {
      rows.push_back({"kbs resources:", absl::StrCat(a.resources_released(), " released, ",
                                                     a.resources_denied(), " refused")});
    }
  }
  if (!p.failure_reason().empty()) rows.push_back({"failure:", p.failure_reason()});
  if (p.has_exit()) {
    rows.push_back(
        {"exit:",
         absl::StrCat("qemu status ", p.exit().qemu_status(),
                      p.exit().signal() ? absl::StrCat(", signal ", p.exit().signal()) : "",
                      p.exit().success() ? ", guest success" : "",
                      p.exit().guest_reported()
                          ? absl::StrCat(", guest reported code ", p.exit().guest_exit_code())
                          : "")});
  }
  PrintTable(rows);
}

void PrintStats(const pv::v1::PartitionStats& s) {
  PrintTable({{"partition:", s.name()},
              {"uptime:", absl::StrFormat("%.2f s", s.uptime_seconds())},
              {"exits (paravisor):", absl::StrCat(s.total_exits())},
              {"proxied exits:", absl::StrCat(s.proxied_exits())},
              {"proxy round trips:", absl::StrCat(s.proxy_round_trips())},
              {"proxy notifications:", absl::StrCat(s.proxy_notifications())},
              {"proxy errors:", absl::StrCat(s.proxy_errors())},
              {"doorbells received:", absl::StrCat(s.doorbells_received())},
              {"console bytes:", absl::StrCat(s.console_bytes())}});
  if (s.exits_by_reason_size() > 0) {
    std::vector<std::vector<std::string>> rows = {{"EXIT REASON", "COUNT"}};
    for (const auto& c : s.exits_by_reason()) {
      rows.push_back({c.reason_name().empty() ? absl::StrCat(c.reason()) : c.reason_name(),
                      absl::StrCat(c.count())});
    }
    std::printf("\n");
    PrintTable(rows);
  }
}

void PrintEvent(const pv::v1::Event& e) {
  std::printf("%-6llu %s  %-16s %-14s %-9s %s\n", static_cast<unsigned long long>(e.sequence()),
              Time(e.unix_ms()).c_str(), e.partition().c_str(), EventTypeName(e.type()).c_str(),
              StateName(e.state()).c_str(), e.detail().c_str());
  std::fflush(stdout);
}

void PrintCapabilities(const pv::v1::CapabilitiesResponse& caps) {
  std::printf("agent %s, %s, exit proxy v%u, max %u vCPUs\n\n", caps.agent_version().c_str(),
              caps.qemu_version().c_str(), caps.exit_proxy_version(), caps.max_vcpus());
  std::vector<std::vector<std::string>> rows = {{"PLATFORM", "AVAILABLE", "DETAIL"}};
  for (const auto& p : caps.platforms()) {
    rows.push_back({PlatformName(p.platform()), p.available() ? "yes" : "no", p.detail()});
  }
  for (const auto& t : caps.simulated_tees()) {
    rows.push_back({absl::StrCat("tee=", StripPrefix(pv::v1::Tee_Name(t.tee()), "TEE_")),
                    t.available() ? "yes" : "no", absl::StrCat(t.name(), ": ", t.detail())});
  }
  PrintTable(rows);
}

}  // namespace pv::pvctl
