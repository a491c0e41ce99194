// Guest console output, assembled into lines so that guest and paravisor log lines never
// interleave mid-line. Non-printable bytes are shown as '.', so a hostile guest cannot inject
// terminal escape sequences into the operator's log.
#include "exits/handlers.h"
#include "lib/log.h"
#include "proxy/exit_proxy.h"

namespace pv {

void ConsoleFlush(Vcpu& vcpu) {
  if (vcpu.console.len == 0) return;
  vcpu.console.line[vcpu.console.len] = '\0';
  Log("[guest] %s", vcpu.console.line);
  // The same line to the host agent's console (exit proxy), when attached.
  vcpu.console.line[vcpu.console.len] = '\n';
  proxy_client::SendConsole(vcpu.console.line, vcpu.console.len + 1);
  proxy_client::NoteExitStats(vcpu.stats.Total(), vcpu.stats.by_reason,
                              static_cast<u32>(ExitReason::kCount));
  vcpu.console.len = 0;
}

void ConsolePutByte(Vcpu& vcpu, u8 byte) {
  if (byte == '\n') {
    // An empty line is still a line: print it so the guest's layout survives.
    if (vcpu.console.len == 0) {
      Log("[guest] ");
      return;
    }
    ConsoleFlush(vcpu);
    return;
  }
  if (byte == '\r') return;
  vcpu.console.line[vcpu.console.len++] =
      (byte >= 0x20 && byte < 0x7f) ? static_cast<char>(byte) : '.';
  if (vcpu.console.len >= ConsoleBuffer::kLineMax - 1) ConsoleFlush(vcpu);
}

}  // namespace pv
