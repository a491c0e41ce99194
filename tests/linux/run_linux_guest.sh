#!/usr/bin/env bash
# Runs a paravisor test command (run_firmware.py) with Debian's kernel (fetched into the cache
# by scripts/fetch_linux_kernel.sh) as a Linux guest and the build's initramfs as its initrd.
# Usage: run_linux_guest.sh <initramfs> <kernel cmdline> <guest options> <python> <run_firmware.py>
#        <run_firmware.py arguments...>
# The kernel becomes module 0 ("<vmlinuz> linux initrd=1 <guest options> -- <cmdline>") and the
# initramfs module 1 ("role=initrd"), ahead of the command's own modules; in those, @VMLINUZ@
# stands for the kernel's path. Guest options "-" mean none.
set -euo pipefail
initramfs="$1" cmdline="$2" options="$3" python="$4" runner="$5"
shift 5
[ "$options" = "-" ] && options=""
vmlinuz="$("$(dirname "$0")/../../scripts/fetch_linux_kernel.sh")"
args=()
for a in "$@"; do args+=("${a//@VMLINUZ@/$vmlinuz}"); done
exec "$python" "$runner" \
  --module "$vmlinuz linux initrd=1 $options -- $cmdline" \
  --module "$initramfs role=initrd" "${args[@]}"
