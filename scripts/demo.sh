#!/usr/bin/env bash
# One command from a fresh machine to a running demo: installs packages, builds the paravisor
# and the demo guest, and boots them in QEMU (TCG, AMD SVM with nested paging). The guest's
# console lines appear prefixed with "[guest]"; the last line is the paravisor's verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh --target paravisor guests
BUILD_DIR=${PV_BUILD_DIR:-build}
echo "== booting the paravisor with the demo guest under QEMU TCG (-cpu qemu64,+svm,+npt)"
set +e
timeout 60 qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -m 256M -display none \
  -no-reboot -nodefaults -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -kernel "$BUILD_DIR/paravisor/paravisor.elf" -initrd "$BUILD_DIR/paravisor/guests/hello.bin"
status=$?
set -e
# isa-debug-exit: 33 = every guest ended as expected.
if [ "$status" -eq 33 ]; then echo "== demo finished: PASS"; else echo "== demo failed (QEMU status $status)"; exit 1; fi
