#!/usr/bin/env bash
# One command from a fresh machine to a passing test suite:
#   installs packages (scripts/setup.sh), builds (scripts/build.sh), runs every test with ctest.
# Extra arguments go to ctest, e.g. `scripts/test.sh -L svm` or `scripts/test.sh -R gpr`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
BUILD_DIR=${PV_BUILD_DIR:-build}
cd "$BUILD_DIR"
ctest --output-on-failure -j"${PV_TEST_JOBS:-2}" "$@"
