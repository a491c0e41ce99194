#!/usr/bin/env bash
# One command from a fresh machine to the project's main job: installs packages, builds, and
# launches an ATTESTED demo confidential partition (scripts/demo_attest.sh): pv-kbs with a policy
# whose reference measurement `pvattest measure` computed, pv-agent, and `pvctl launch --attest`
# on a measured tee=sev-snp partition of the SIMULATED secure processor (a test platform, not a
# trust anchor); the guest gets its secret only after the KBS verified the partition's evidence,
# and the timeline is printed. `scripts/demo.sh [--attest] [--json]` is that; `--plain` runs
# the unattested demo instead: `pvctl launch` of the paravisor + hello guest, whose console
# arrives through the paravisor's exit proxy (flatbuffers messages over shared-memory rings).
#
# Environment: PV_BUILD_DIR (build directory, default build), PV_AGENT_SOCKET (agent socket,
# default as pvctl's), PV_DEMO_KEEP_AGENT=1 (leave an agent this script started running).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The socket pvctl uses by default (root: /run/pv-agent/pv-agent.sock), unless overridden.
if [ -z "${PV_AGENT_SOCKET:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    PV_AGENT_SOCKET=/run/pv-agent/pv-agent.sock
  else
    PV_AGENT_SOCKET=${XDG_RUNTIME_DIR:-/tmp}/pv-agent.sock
    [ -n "${XDG_RUNTIME_DIR:-}" ] || PV_AGENT_SOCKET=/tmp/pv-agent-$(id -u).sock
  fi
fi
export PV_AGENT_SOCKET
if [ "${1:-}" = "--plain" ]; then
  shift
else
  [ "${1:-}" = "--attest" ] && shift
  scripts/build.sh --target paravisor guests pv-agent pvctl pv-kbs pvkbs pvattest
  exec scripts/demo_attest.sh "$@"
fi
scripts/build.sh --target paravisor guests pv-agent pvctl
BUILD_DIR=$(cd "${PV_BUILD_DIR:-build}" && pwd)
PVCTL="$BUILD_DIR/host-agent/pvctl"
AGENT="$BUILD_DIR/host-agent/pv-agent"

agent_pid=""
stop_agent() {
  if [ -n "$agent_pid" ] && [ "${PV_DEMO_KEEP_AGENT:-0}" != 1 ]; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
}
trap stop_agent EXIT

if "$PVCTL" capabilities >/dev/null 2>&1; then
  echo "== using the pv-agent already serving $PV_AGENT_SOCKET"
else
  state_dir="$BUILD_DIR/pv-agent-state"
  echo "== starting pv-agent on $PV_AGENT_SOCKET (state in $state_dir, log in $BUILD_DIR/pv-agent.log)"
  "$AGENT" --socket "$PV_AGENT_SOCKET" --state-dir "$state_dir" --image-dir "$BUILD_DIR" >"$BUILD_DIR/pv-agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1 100); do
    "$PVCTL" capabilities >/dev/null 2>&1 && break
    if ! kill -0 "$agent_pid" 2>/dev/null; then
      echo "== pv-agent exited; its log:"; cat "$BUILD_DIR/pv-agent.log"; exit 1
    fi
    sleep 0.1
  done
fi

echo "== pvctl launch demo (paravisor + demo guest; console through the exit proxy)"
set +e
"$PVCTL" launch demo --replace \
  --firmware "$BUILD_DIR/paravisor/paravisor.elf" --guest "$BUILD_DIR/paravisor/guests/hello.bin"
status=$?
set -e
"$PVCTL" stats demo || true
if [ "$status" -eq 0 ]; then echo "== demo finished: PASS"; else echo "== demo failed (pvctl exit code $status)"; exit 1; fi
