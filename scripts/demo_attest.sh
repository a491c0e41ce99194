#!/usr/bin/env bash
# The attested launch (scripts/demo.sh --attest): a tee=sev-snp partition whose guest gets its
# secret only after a key broker verified the partition's evidence.
#
#   1. pv-agent (started here unless one answers; --init-simulated-sp so the SIMULATED secure
#      processor's root exists before anything runs: a test platform, not a trust anchor);
#   2. pv-kbs on a temporary store, admitting that simulated root explicitly (--snp-allow-root);
#   3. the reference measurement: `pvattest measure` of the demo images with the paravisor
#      command line the agent will measure (kbs=<resource>); the policy allows exactly it;
#   4. a random 32-byte resource default/key/demo (its SHA-256 is what the guest must report);
#   5. `pvctl launch --attest`: create + start + the timeline on stderr (launch measurement,
#      evidence verified with the KBS's verdict and checks, secret released, the guest's digest).
# Extra arguments go to pvctl (e.g. --json). Environment as scripts/demo.sh, plus
# PV_DEMO_KEEP_KBS=1 (leave pv-kbs and its store).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=$(cd "${PV_BUILD_DIR:-build}" && pwd)
PVCTL="$BUILD_DIR/host-agent/pvctl"
AGENT="$BUILD_DIR/host-agent/pv-agent"
KBS="$BUILD_DIR/kbs/pv-kbs"
PVKBS="$BUILD_DIR/kbs/pvkbs"
PVATTEST="$BUILD_DIR/attest/pvattest"
FIRMWARE="$BUILD_DIR/paravisor/paravisor.elf"
GUEST="$BUILD_DIR/paravisor/guests/secret_demo.bin"
RESOURCE=default/key/demo
MEMORY=64

: "${PV_AGENT_SOCKET:?run this through scripts/demo.sh --attest (it picks the agent socket)}"

store=$(mktemp -d /tmp/pv-demo-kbs.XXXXXX)
agent_pid="" kbs_pid=""
cleanup() {
  if [ -n "$kbs_pid" ] && [ "${PV_DEMO_KEEP_KBS:-0}" != 1 ]; then
    kill -TERM "$kbs_pid" 2>/dev/null || true
    wait "$kbs_pid" 2>/dev/null || true
    rm -rf "$store"
  fi
  if [ -n "$agent_pid" ] && [ "${PV_DEMO_KEEP_AGENT:-0}" != 1 ]; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if "$PVCTL" capabilities >/dev/null 2>&1; then
  echo "== using the pv-agent already serving $PV_AGENT_SOCKET" >&2
else
  state_dir="$BUILD_DIR/pv-agent-state"
  echo "== starting pv-agent on $PV_AGENT_SOCKET (state in $state_dir)" >&2
  "$AGENT" --socket "$PV_AGENT_SOCKET" --state-dir "$state_dir" --image-dir "$BUILD_DIR" \
    --init-simulated-sp >"$BUILD_DIR/pv-agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1 600); do
    "$PVCTL" capabilities >/dev/null 2>&1 && break
    if ! kill -0 "$agent_pid" 2>/dev/null; then
      echo "== pv-agent exited; its log:" >&2; cat "$BUILD_DIR/pv-agent.log" >&2; exit 1
    fi
    sleep 0.1
  done
fi
ark=$("$PVCTL" --json capabilities | python3 -c '
import json, sys
for t in json.load(sys.stdin).get("simulated_tees", []):
    if t.get("tee") == "TEE_SEV_SNP" and t.get("root_certificate"):
        print(t["root_certificate"])')
if [ -z "$ark" ]; then
  echo "== the running pv-agent has no simulated secure processor yet (start it with --init-simulated-sp)" >&2
  exit 1
fi
echo "== SIMULATED platform: the KBS admits the simulated AMD-SP root $ark explicitly" >&2
echo "   (a test platform, not a trust anchor; without --snp-allow-root its reports are refused)" >&2

"$KBS" --listen 127.0.0.1:0 --store "$store" --snp-allow-root "$ark" >"$store/kbs.out" 2>&1 &
kbs_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^pv-kbs: listening on \(http:[^ ]*\).*/\1/p' "$store/kbs.out" | head -1)
  [ -n "$url" ] && break
  kill -0 "$kbs_pid" 2>/dev/null || { cat "$store/kbs.out" >&2; exit 1; }
  sleep 0.1
done
echo "== pv-kbs at $url (store $store)" >&2
export PV_KBS_ADMIN_SOCKET="$store/admin.sock"

measurement=$("$PVATTEST" measure --firmware "$FIRMWARE" --guest "$GUEST" --memory "$MEMORY" \
  --cmdline "kbs=$RESOURCE" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["snp_launch_digest"])')
echo "== reference measurement (pvattest measure, paravisor command line 'kbs=$RESOURCE'): $measurement" >&2
cat >"$store/policy.json" <<JSON
{"attestation": {"snp": {"measurements": ["$measurement"]}},
 "resources": [{"path": "$RESOURCE", "tees": ["snp"], "measurements": ["$measurement"]}]}
JSON
"$PVKBS" set-policy "$store/policy.json" >&2
head -c 32 /dev/urandom >"$store/secret.bin"
"$PVKBS" set-resource "$RESOURCE" "$store/secret.bin" >&2
expected=$(sha256sum "$store/secret.bin" | cut -d' ' -f1)
rm -f "$store/secret.bin"
echo "== resource $RESOURCE stored (32 random bytes, sha256 $expected)" >&2

set +e
"$PVCTL" "$@" launch demo-attested --replace --attest --expect-sha256 "$expected" \
  --firmware "$FIRMWARE" --guest "$GUEST" --memory "$MEMORY" --tee sev-snp \
  --kbs-url "$url" --kbs-resource "$RESOURCE"
status=$?
set -e
echo "== the KBS's decisions:" >&2
"$PVKBS" decisions 10 >&2 || true
if [ "$status" -eq 0 ]; then echo "== attested demo finished: PASS" >&2; else echo "== attested demo failed (pvctl exit code $status)" >&2; exit 1; fi
