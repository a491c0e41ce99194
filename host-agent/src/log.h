// Agent log lines: "<UTC time> pv-agent: <message>", on stderr or in --log-file.
//
// Log() never blocks on the output: it queues the line (bounded; when the reader stalls, lines
// beyond kMaxQueuedLines are dropped and counted) and one writer thread writes them. So a
// stalled stderr reader cannot block an RPC, whatever lock the caller holds.
#ifndef PV_HOST_AGENT_LOG_H_
#define PV_HOST_AGENT_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pv::agent {

inline constexpr size_t kMaxQueuedLines = 4096;

void LogLine(std::string line);
// Logs to `path` (appending) instead of stderr; ReopenLog() reopens it (SIGHUP, log rotation).
absl::Status SetLogFile(const std::string& path);
void ReopenLog();
// Writes what is queued (agent exit).
void FlushLog();

template <typename... Args>
void Log(const Args&... args) {
  LogLine(absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                       " pv-agent: ", args..., "\n"));
}

}  // namespace pv::agent

#endif  // PV_HOST_AGENT_LOG_H_
