// Agent log lines on stderr: "<UTC time> pv-agent: <message>".
#ifndef PV_HOST_AGENT_LOG_H_
#define PV_HOST_AGENT_LOG_H_

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pv::agent {

template <typename... Args>
void Log(const Args&... args) {
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                   " pv-agent: ", args..., "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_LOG_H_
