#!/usr/bin/env bash
# Reproducible firmware: builds the paravisor and the reset stub a second time from the same
# tree in a fresh directory (another path, ccache off), and checks that the SNP launch digest
# and the TDX MRTD of a launch with the second build's files equal those of this build's.
# usage: reproducible_firmware.sh SOURCE_DIR SHARED_DIR PVATTEST FIRMWARE RESET_ROM GUEST
set -euo pipefail
src=$1 shared=$2 pvattest=$3 firmware=$4 rom=$5 guest=$6
tmp=$(mktemp -d /tmp/pv-repro-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export CCACHE_DISABLE=1
cmake -S "$src" -B "$tmp/build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DPV_SHARED_DIR="$shared" > "$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; exit 1; }
ninja -C "$tmp/build" -j1 paravisor pv_reset_rom > "$tmp/build.log" 2>&1 || { tail -50 "$tmp/build.log"; exit 1; }
first=$("$pvattest" measure --firmware "$firmware" --reset-rom "$rom" --guest "$guest" --json)
second=$("$pvattest" measure --firmware "$tmp/build/paravisor/paravisor.elf" \
  --reset-rom "$tmp/build/paravisor/pv-reset.bin" --guest "$guest" --json)
echo "this build:   $first"
echo "second build: $second"
[ "$first" = "$second" ] || { echo "FAIL: the two builds measure differently"; exit 1; }
echo "PASS: identical SNP launch digest and MRTD from two builds"
