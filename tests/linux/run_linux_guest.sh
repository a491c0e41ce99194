#!/usr/bin/env bash
# Runs the paravisor with Debian's kernel (fetched into the cache by
# scripts/fetch_linux_kernel.sh) as a Linux guest and the build's initramfs as its initrd.
# Usage: run_linux_guest.sh <source dir> <initramfs> <kernel cmdline> <run_firmware.py args...>
# The kernel is module 0 ("<vmlinuz> linux initrd=1 [options] -- <cmdline>"), the initramfs
# module 1 ("role=initrd"); PV_GUEST_OPTIONS adds per-guest options such as expect=npf. In the
# remaining arguments @VMLINUZ@ stands for the kernel's path (for further Linux modules).
set -euo pipefail
src="$1" initramfs="$2" cmdline="$3"
shift 3
vmlinuz="$("$src/scripts/fetch_linux_kernel.sh")"
args=()
for a in "$@"; do args+=("${a//@VMLINUZ@/$vmlinuz}"); done
exec python3 "$src/tests/paravisor/run_firmware.py" \
  --module "$vmlinuz linux initrd=1 ${PV_GUEST_OPTIONS:-} -- $cmdline" \
  --module "$initramfs role=initrd" "${args[@]}"
